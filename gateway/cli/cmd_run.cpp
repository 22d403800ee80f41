// `hubgate run -c FILE` (the default command): runs the bridge daemon until SIGTERM or SIGINT.
#include <cstdio>

#include "gateway/cli/args.hpp"
#include "gateway/cli/command.hpp"
#include "gateway/config/config.hpp"
#include "gateway/daemon/run_daemon.hpp"
#include "gateway/log/log.hpp"

namespace hubgate::cli {
namespace {

constexpr const char* kRunUsage =
    "usage: hubgate [run] -c FILE [--log-level LEVEL]\n"
    "Runs the bridge: reads the legacy devices' messages from the local broker and forwards\n"
    "them to IoT Hub, one device session per device, and cloud messages back. Stops cleanly on\n"
    "SIGTERM or SIGINT. --log-level overrides [log] level (trace, debug, info, warn, error).\n";

log::Format log_format(config::LogFormat format) {
    switch (format) {
        case config::LogFormat::Human:
            return log::Format::Human;
        case config::LogFormat::Journal:
            return log::Format::Journal;
        case config::LogFormat::Auto:
            break;
    }
    return log::Format::Auto;
}

int run_run(std::span<const std::string> argv) {
    try {
        Args args(argv, {"config", "log-level"}, {"help"}, {{"c", "config"}});
        if (args.flag("help")) {
            std::fputs(kRunUsage, stdout);
            return kExitOk;
        }
        const std::string file = args.require("config");
        auto loaded = config::load_config(file);
        if (!loaded.ok()) {
            for (const auto& diagnostic : loaded.diagnostics) {
                std::fprintf(stderr, "%s\n", config::format_diagnostic(diagnostic).c_str());
            }
            return loaded.status == config::LoadStatus::Unreadable ? kExitUsage : kExitFailure;
        }
        const auto& config = loaded.config;
        log::init(args.get("log-level").value_or(config.log.level), log_format(config.log.format));
        return daemon::run_daemon(config);
    } catch (const UsageError& e) {
        std::fprintf(stderr, "hubgate run: %s\n\n%s", e.what(), kRunUsage);
        return kExitUsage;
    }
}

const CommandRegistrar run_command({"run", "run the bridge daemon (the default command)",
                                    &run_run});

}  // namespace
}  // namespace hubgate::cli
