#include "gateway/cli/control_socket_option.hpp"

#include <cstdio>

#include "gateway/config/config.hpp"

namespace hubgate::cli {
namespace {

// The socket named by the config file. A config that fails validation for other reasons (say a
// credential only systemd provides) still names its socket.
std::filesystem::path socket_from_config(const std::string& file) {
    auto result = config::load_config(file);
    if (result.status == config::LoadStatus::Unreadable) {
        std::string why = result.diagnostics.empty()
                              ? "cannot read " + file
                              : config::format_diagnostic(result.diagnostics.front());
        throw UsageError(why);
    }
    return result.config.control.socket;
}

}  // namespace

std::filesystem::path control_socket_from(const Args& args) {
    if (args.get("config") && args.get("socket"))
        throw UsageError("give -c FILE or --socket PATH, not both");
    if (auto path = args.get("socket"))
        return *path;
    if (auto file = args.get("config"))
        return socket_from_config(*file);
    return config::defaults().control.socket;
}

std::optional<Args> control_verb_args(std::span<const std::string> argv,
                                      const std::vector<std::string>& own, const char* usage) {
    std::vector<std::string> with_value{"config", "socket"};
    with_value.insert(with_value.end(), own.begin(), own.end());
    Args args(argv, with_value, {"json", "help"}, {{"c", "config"}, {"h", "help"}});
    if (args.flag("help")) {
        std::fputs(usage, stdout);
        return std::nullopt;
    }
    if (!args.positional().empty())
        throw UsageError("unexpected argument " + args.positional()[0]);
    return args;
}

}  // namespace hubgate::cli
