#include "gateway/daemon/observability.hpp"

#include <spdlog/spdlog.h>

#include "gateway/control/control_server.hpp"
#include "gateway/daemon/bridge.hpp"
#include "gateway/metrics/metrics_server.hpp"

namespace hubgate::daemon {

Observability::Observability(Bridge& bridge) : bridge_(bridge) {
    registry_.add_collector([this](metrics::TextExposition& out) {
        metrics::write_gateway_metrics(out, gateway_counts(),
                                       bridge_.counters().method_roundtrip.snapshot());
    });
}

Observability::~Observability() {
    stop();
}

std::optional<std::string> Observability::start() {
    const auto& config = bridge_.config();
    control_ = std::make_unique<control::ControlServer>([this] { return status(); });
    if (auto why = control_->start(config.control.socket)) {
        spdlog::error("control socket: {}; `hubgate status` will not reach this daemon", *why);
        control_.reset();
    } else {
        spdlog::info("control socket: {}{}", config.control.socket.string(),
                     control_->socket_activated() ? " (from systemd)" : "");
    }

    if (!config.metrics.listen) {
        spdlog::info("metrics: off (metrics.listen is not set)");
        return std::nullopt;
    }
    const auto& listen = *config.metrics.listen;
    metrics_ = std::make_unique<metrics::MetricsServer>(registry_);
    if (auto why = metrics_->start(listen.host, listen.port)) {
        metrics_.reset();
        return *why;
    }
    spdlog::info("metrics: serving http://{}/metrics",
                 config::Endpoint{listen.host, metrics_->port()}.to_string());
    return std::nullopt;
}

void Observability::stop() {
    if (metrics_) {
        metrics_->stop();
        metrics_.reset();
    }
    if (control_) {
        control_->stop();
        control_.reset();
    }
}

namespace {

C2dJournalReadings c2d_journal_readings(const DownlinkJournal& journal) {
    const auto& counters = journal.counters();
    return {counters.kept.load(),          counters.published.load(),    counters.released.load(),
            counters.keep_failures.load(), counters.write_errors.load(), journal.outstanding()};
}

}  // namespace

metrics::GatewayCounts Observability::gateway_counts() {
    // The snapshot is taken under the lock: totals_ must see snapshots in the order they were
    // taken, or an older one would look like a session that started again.
    std::lock_guard lock(totals_mutex_);
    const auto sessions = bridge_.session_snapshots();
    return daemon::gateway_counts({bridge_.counters(), bridge_.spool().counters(),
                                   bridge_.local_counters(), sessions, totals_.update(sessions),
                                   c2d_journal_readings(bridge_.c2d_journal())});
}

control::StatusSnapshot Observability::status() {
    std::lock_guard lock(totals_mutex_);  // see gateway_counts()
    const auto sessions = bridge_.session_snapshots();
    control::StatusSnapshot snapshot;
    snapshot.sessions.reserve(sessions.size());
    for (const auto& session : sessions) {
        snapshot.sessions.push_back(control::to_session_status(session));
    }
    if (const auto* provisioner = bridge_.provisioner()) {
        auto& devices = snapshot.provisioning.emplace();
        for (const auto& [device_id, p] : provisioner->snapshot()) {
            devices.push_back({device_id, p.state, p.message, p.assigned_hub, p.attempts,
                               control::WallTime(std::chrono::seconds(p.updated_at))});
        }
    }
    snapshot.counters = status_counters(
        {bridge_.counters(), bridge_.spool().counters(), bridge_.local_counters(), sessions,
         totals_.update(sessions), c2d_journal_readings(bridge_.c2d_journal())});
    return snapshot;
}

}  // namespace hubgate::daemon
