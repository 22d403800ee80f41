// `hubgate plugin info FILE`: what a plugin file says about itself (descriptor, hooks, declared
// settings), read through the same loader and checks as at start-up, without creating an
// instance: the first thing to run on a plugin someone hands you.
#include <cstdio>
#include <string>

#include "gateway/cli/args.hpp"
#include "gateway/cli/command.hpp"
#include "hubgate/plugins/plugin_error.hpp"
#include "hubgate/plugins/plugin_library.hpp"

namespace hubgate::cli {
namespace {

constexpr const char* kPluginUsage =
    "usage: hubgate plugin info FILE\n"
    "Loads the plugin FILE (a path; it is not looked up in plugins.dir) as hubgate does and\n"
    "prints its name, version, ABI, trust line, the hooks it registers and the settings its\n"
    "`config` table takes. Exit 0 loaded, 2 usage or a file that does not load.\n";

std::string in_quotes(const std::string& text) {
    return "\"" + text + "\"";
}

// "string, required", "one of "csv", "kv"; default "csv"", ...
std::string setting_line(const plugins::PluginSetting& setting) {
    std::string out;
    if (!setting.choices.empty()) {
        out = "one of ";
        for (size_t i = 0; i < setting.choices.size(); ++i) {
            out += (i == 0 ? "" : ", ") + in_quotes(setting.choices[i]);
        }
    } else {
        out = plugins::setting_type_name(setting.type);
    }
    if (setting.required) {
        out += ", required";
    } else if (setting.default_json) {
        out += ", default " + *setting.default_json;
    } else {
        out += ", optional";
    }
    return out;
}

void print_settings(const std::vector<plugins::PluginSetting>& settings, int indent) {
    for (const auto& setting : settings) {
        std::printf("%*s%s (%s)%s%s\n", indent, "", setting.name.c_str(),
                    setting_line(setting).c_str(), setting.description.empty() ? "" : ": ",
                    setting.description.c_str());
        print_settings(setting.fields, indent + 2);
    }
}

void print_info(const plugins::PluginInfo& info) {
    std::printf("%s %s\n", info.name.c_str(), info.version.c_str());
    std::printf("file: %s\n", info.file.c_str());
    std::printf("plugin ABI: %u.%u\n", info.abi_major, info.abi_minor);
    std::printf("summary: %s\n", info.summary.c_str());
    std::printf("trust: %s\n", info.trust.c_str());
    if (!info.hooks) {
        std::printf("hooks: not declared (registered by create() at start-up)\n");
    } else {
        std::string hooks;
        for (const int32_t id : *info.hooks) {
            const char* name = plugins::hook_id_name(id);
            hooks +=
                (hooks.empty() ? "" : ", ") +
                (name != nullptr ? std::string(name)
                                 : "hook " + std::to_string(id) + " (unknown to this hubgate)");
        }
        std::printf("hooks: %s\n", hooks.empty() ? "none" : hooks.c_str());
    }
    if (!info.settings) {
        std::printf(
            "settings: not declared (the config table is handed to the plugin "
            "unchecked)\n");
    } else if (info.settings->empty()) {
        std::printf("settings: none (a config table must be empty)\n");
    } else {
        std::printf("settings (the instance's config table):\n");
        print_settings(*info.settings, 2);
    }
}

int run_plugin(std::span<const std::string> argv) {
    std::string file;
    try {
        Args args(argv, {}, {"help"}, {{"h", "help"}});
        if (args.flag("help")) {
            std::fputs(kPluginUsage, stdout);
            return kExitOk;
        }
        const auto& words = args.positional();
        if (words.empty() || words[0] != "info") {
            throw UsageError(words.empty() ? "no subcommand" : "unknown subcommand " + words[0]);
        }
        if (words.size() != 2) {
            throw UsageError("give exactly one plugin file");
        }
        file = words[1];
    } catch (const UsageError& e) {
        std::fprintf(stderr, "hubgate plugin: %s\n%s", e.what(), kPluginUsage);
        return kExitUsage;
    }
    try {
        const auto library = plugins::PluginLibrary::open(file);
        print_info(library->info());
    } catch (const plugins::PluginError& e) {
        std::fprintf(stderr, "hubgate plugin: %s\n", e.what());
        return kExitUsage;
    }
    return kExitOk;
}

CommandRegistrar plugin_command({"plugin", "show what a plugin file declares (plugin info FILE)",
                                 &run_plugin});

}  // namespace
}  // namespace hubgate::cli
