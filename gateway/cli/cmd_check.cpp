// `hubgate check -c FILE`: validates the config and, once it is valid, every file it points at
// that another module owns (mapping files, plugins: see gateway/config/validators.hpp).
// Every problem goes to stderr as file:line:col: key: message. Used as systemd ExecStartPre.
#include <cstdio>
#include <string>

#include "gateway/cli/args.hpp"
#include "gateway/cli/command.hpp"
#include "gateway/config/config.hpp"
#include "gateway/config/schema.hpp"
#include "gateway/config/validators.hpp"

namespace hubgate::cli {

namespace {

constexpr const char* kCheckUsage =
    "usage: hubgate check -c FILE\n"
    "       hubgate check --print-reference\n"
    "Validates FILE and every mapping file and plugin it names; prints each problem as\n"
    "file:line:col: key: message. Exit 0 valid, 1 problems found, 2 usage or unreadable file.\n"
    "--print-reference prints every config key as Markdown (docs/configuration.md).\n";

std::string_view mode_name(config::AuthMode mode) {
    switch (mode) {
        case config::AuthMode::Policy:
            return "policy";
        case config::AuthMode::DeviceKeys:
            return "device-keys";
        case config::AuthMode::X509:
            return "x509";
    }
    return "?";
}

void print(const std::vector<config::Diagnostic>& diagnostics) {
    for (const auto& d : diagnostics) {
        std::fprintf(stderr, "%s\n", config::format_diagnostic(d).c_str());
    }
}

int run_check(std::span<const std::string> argv) {
    std::string file;
    try {
        Args args(argv, {"config"}, {"print-reference", "help"}, {{"c", "config"}, {"h", "help"}});
        if (args.flag("help")) {
            std::fputs(kCheckUsage, stdout);
            return kExitOk;
        }
        if (args.flag("print-reference")) {
            std::fputs(config::reference_markdown().c_str(), stdout);
            return kExitOk;
        }
        if (!args.positional().empty())
            throw UsageError("unexpected argument " + args.positional()[0]);
        file = args.require("config");
    } catch (const UsageError& e) {
        std::fprintf(stderr, "hubgate check: %s\n%s", e.what(), kCheckUsage);
        return kExitUsage;
    }

    auto result = config::load_config(file);
    if (result.status == config::LoadStatus::Unreadable) {
        print(result.diagnostics);
        return kExitUsage;
    }
    if (result.ok())
        result.diagnostics = config::run_validators(result.config);
    if (!result.diagnostics.empty()) {
        print(result.diagnostics);
        std::fprintf(stderr, "hubgate check: %zu problem%s found\n", result.diagnostics.size(),
                     result.diagnostics.size() == 1 ? "" : "s");
        return kExitFailure;
    }
    const auto& c = result.config;
    std::printf("%s: OK (hub %s via %s, auth %s, %zu mapping pattern%s, %zu plugin%s)\n",
                c.source_file.c_str(), c.hub.hostname.c_str(),
                c.hub.connect_host.to_string().c_str(), std::string(mode_name(c.auth.mode)).c_str(),
                c.mappings.size(), c.mappings.size() == 1 ? "" : "s", c.plugins.plugins.size(),
                c.plugins.plugins.size() == 1 ? "" : "s");
    return kExitOk;
}

CommandRegistrar check_command({"check", "validate a config file and the files it names",
                                &run_check});

}  // namespace

}  // namespace hubgate::cli
