#include "gateway/daemon/run_daemon.hpp"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <algorithm>
#include <optional>

#include "gateway/daemon/bridge.hpp"
#include "gateway/daemon/config_reload.hpp"
#include "gateway/daemon/observability.hpp"
#include "gateway/daemon/open_files_limit.hpp"
#include "gateway/daemon/shutdown_signals.hpp"
#include "gateway/liveness/stall_watch.hpp"
#include "gateway/notify/systemd_notifier.hpp"

namespace hubgate::daemon {

namespace {

constexpr std::chrono::milliseconds kTick{100};
constexpr std::chrono::seconds kHousekeepingEvery{1};
constexpr std::chrono::seconds kSummaryEvery{60};
constexpr std::chrono::seconds kStatusEvery{5};

// systemd's STATUS= line (`systemctl status hubgate`): "3/4 device sessions connected; ...".
// Nothing when the session manager does not answer within a second: the main loop must go on
// to the watchdog check, which names the stuck thread (a plugin hook holding the hub side).
std::optional<std::string> status_line(Bridge& bridge) {
    const auto snapshots = bridge.session_snapshots_within(std::chrono::seconds(1));
    if (!snapshots) {
        return std::nullopt;
    }
    const auto& sessions = *snapshots;
    const auto connected = std::count_if(sessions.begin(), sessions.end(), [](const auto& s) {
        return s.state == session::SessionState::Connected;
    });
    return std::to_string(connected) + "/" + std::to_string(sessions.size()) +
           " device sessions connected; " + std::to_string(bridge.subscription_count()) +
           " local filters; " + bridge.counters().summary();
}

}  // namespace

int run_daemon(const config::Config& config) {
    // Before any thread exists, so that every thread inherits the blocked set.
    ShutdownSignals::block();
    // Before the first session opens its sockets.
    const auto open_files = raise_open_files_limit();
    std::vector<std::string> errors;
    auto bridge = Bridge::open(config, errors);
    if (!bridge) {
        for (const auto& error : errors) {
            spdlog::error("{}", error);
        }
        return 1;
    }
    std::string error;
    if (!bridge->start(error)) {
        spdlog::error("cannot start: {}", error);
        return 1;
    }
    Observability observability(*bridge);
    if (auto why = observability.start()) {
        spdlog::error("cannot start: {}", *why);
        bridge->stop();
        return 1;
    }
    spdlog::info(
        "hubgate running (local broker {}:{}, hub {}; up to {} open files, one per device "
        "session)",
        config.local.host, config.local.port, config.hub.hostname, open_files);
    // Under systemd (Type=notify): READY=1 once the local link has subscribed, WATCHDOG=1 from
    // this loop (a hung loop gets the service restarted), STOPPING=1 on the way out.
    const notify::SystemdNotifier notifier;
    // WATCHDOG=1 also stops while a thread that moves messages is stuck (a plugin hook that
    // never returns): for longer than one ping interval (half of WatchdogSec), so systemd
    // restarts hubgate within about 1.5 x WatchdogSec of the hang.
    liveness::StallWatch stalls(notifier.watchdog_interval().value_or(std::chrono::seconds(15)));
    ConfigReloader reloader(config);
    bool ready_sent = false;
    auto last_watchdog = std::chrono::steady_clock::now();

    auto last_housekeeping = std::chrono::steady_clock::now();
    auto last_summary = last_housekeeping;
    auto last_status = last_housekeeping;
    std::string last_status_text;
    std::uint64_t subscriptions_seen = 0;
    std::string last_summary_text;
    for (;;) {
        const auto sig = ShutdownSignals::wait(kTick);
        if (sig == SIGTERM || sig == SIGINT) {
            spdlog::info("{}: stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
            notifier.stopping();
            break;
        }
        if (sig == SIGHUP) {
            notifier.reloading();
            const bool applied = reloader.reload(*bridge);
            notifier.ready();
            notifier.status(applied ? "reloaded" : "reload refused: see the log");
        }
        // The local link counts SUBACKs; saying so lets operators and tests see the moment
        // messages start being queued for hubgate.
        if (const auto subscribed = bridge->local_counters().subscribed.load();
            subscribed != subscriptions_seen) {
            subscriptions_seen = subscribed;
            spdlog::info("subscribed to {} local filters", bridge->subscription_count());
            if (!ready_sent) {
                ready_sent = true;
                notifier.ready();
                notifier.status("subscribed to " + std::to_string(bridge->subscription_count()) +
                                " local filters");
            }
        }
        const auto now = std::chrono::steady_clock::now();
        if (const auto interval = notifier.watchdog_interval();
            interval && now - last_watchdog >= *interval &&
            stalls.all_moving(liveness::process_threads().beats(), now)) {
            last_watchdog = now;
            notifier.watchdog();
        }
        if (now - last_housekeeping >= kHousekeepingEvery) {
            last_housekeeping = now;
            bridge->housekeeping();
        }
        if (now - last_summary >= kSummaryEvery) {
            last_summary = now;
            auto summary = bridge->counters().summary();
            if (summary != last_summary_text) {
                spdlog::info("counters: {}", summary);
                last_summary_text = std::move(summary);
            }
        }
        // Only under systemd: it asks the session manager's loop (waiting a second at most).
        if (ready_sent && notifier.enabled() && now - last_status >= kStatusEvery) {
            last_status = now;
            auto status = status_line(*bridge);
            if (status && *status != last_status_text) {
                notifier.status(*status);
                last_status_text = std::move(*status);
            }
        }
    }
    observability.stop();
    bridge->stop();
    return 0;
}

}  // namespace hubgate::daemon
