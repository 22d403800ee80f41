#include "gateway/daemon/observability.hpp"

#include <spdlog/spdlog.h>

#include "gateway/control/control_server.hpp"
#include "gateway/daemon/bridge.hpp"
#include "gateway/metrics/metrics_server.hpp"

namespace hubgate::daemon {

Observability::Observability(Bridge& bridge) : bridge_(bridge) {
    if (bridge_.config().metrics.per_device) {
        device_series_.emplace(bridge_.config().metrics.per_device_limit);
    }
    registry_.add_collector([this](metrics::TextExposition& out) { scrape(out); });
}

Observability::~Observability() {
    stop();
}

std::optional<std::string> Observability::start() {
    const auto& config = bridge_.config();
    control::ControlServer::ProvisioningFn provisioning;
    if (bridge_.provisioner() != nullptr) {
        provisioning = [this](const std::string& device_id, bool register_again) {
            return provisioning_of(device_id, register_again);
        };
    }
    control_ = std::make_unique<control::ControlServer>([this] { return status(); }, provisioning);
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

C2dJournalReadings c2d_journal_readings(const core::DownlinkJournal& journal) {
    const auto& counters = journal.counters();
    return {counters.kept.load(),          counters.published.load(),    counters.released.load(),
            counters.keep_failures.load(), counters.write_errors.load(), journal.outstanding()};
}

// Every session, with its spool backlog, and after them the devices that have messages in the
// spool and no session (both lists are sorted by device id).
control::SessionStatus spool_only(const spool::DeviceBacklog& backlog) {
    control::SessionStatus status;
    status.device_id = backlog.device_id;
    status.state = control::kNoSessionState;
    status.spool_messages = backlog.messages;
    status.spool_bytes = backlog.bytes;
    return status;
}

// Every session, with its spool backlog, and after them the devices that have messages in the
// spool and no session (both lists are sorted by device id).
std::vector<control::SessionStatus> device_statuses(
    const std::vector<session::SessionSnapshot>& sessions,
    const std::vector<spool::DeviceBacklog>& backlogs) {
    std::vector<control::SessionStatus> out;
    out.reserve(sessions.size());
    std::vector<control::SessionStatus> without_session;
    auto backlog = backlogs.begin();
    for (const auto& session : sessions) {
        for (; backlog != backlogs.end() && backlog->device_id < session.device_id; ++backlog) {
            without_session.push_back(spool_only(*backlog));
        }
        auto status = control::to_session_status(session);
        if (backlog != backlogs.end() && backlog->device_id == session.device_id) {
            status.spool_messages = backlog->messages;
            status.spool_bytes = backlog->bytes;
            ++backlog;
        }
        out.push_back(std::move(status));
    }
    for (; backlog != backlogs.end(); ++backlog) {
        without_session.push_back(spool_only(*backlog));
    }
    out.insert(out.end(), std::make_move_iterator(without_session.begin()),
               std::make_move_iterator(without_session.end()));
    return out;
}

}  // namespace

metrics::GatewayCounts Observability::counts_from(
    const std::vector<session::SessionSnapshot>& sessions) {
    return daemon::gateway_counts({bridge_.counters(), bridge_.spool().counters(),
                                   bridge_.local_counters(), sessions, totals_.update(sessions),
                                   c2d_journal_readings(bridge_.c2d_journal()),
                                   bridge_.spool().options().max_bytes, reprovisions()});
}

metrics::GatewayCounts Observability::gateway_counts() {
    // The snapshot is taken under the lock: totals_ (and device_series_) must see snapshots in
    // the order they were taken, or an older one would look like a session that started again.
    std::lock_guard lock(totals_mutex_);
    return counts_from(bridge_.session_snapshots());
}

void Observability::scrape(metrics::TextExposition& out) {
    std::lock_guard lock(totals_mutex_);  // see gateway_counts()
    const auto sessions = bridge_.session_snapshots();
    metrics::write_gateway_metrics(out, counts_from(sessions),
                                   bridge_.counters().method_roundtrip.snapshot());
    if (device_series_) {
        metrics::write_device_metrics(out,
                                      device_series_->update(sessions, bridge_.spool().backlogs()),
                                      device_series_->over_limit());
    }
}

std::uint64_t Observability::reprovisions() const {
    const auto* provisioner = bridge_.provisioner();
    return provisioner != nullptr ? provisioner->reprovisions() : 0;
}

namespace {

control::ProvisioningStatus provisioning_status(const std::string& device_id,
                                                const provisioning::DeviceProvisioning& p) {
    return {device_id,      p.state,    p.message,
            p.assigned_hub, p.attempts, control::WallTime(std::chrono::seconds(p.updated_at))};
}

}  // namespace

control::ProvisioningAnswer Observability::provisioning_of(const std::string& device_id,
                                                           bool register_again) {
    auto& provisioner = *bridge_.provisioner();
    const auto device =
        register_again ? provisioner.reprovision(device_id) : provisioner.device(device_id);
    if (!device) {
        return {std::nullopt, "no device '" + device_id +
                                  "' here: it was not provisioned in this run and has no kept "
                                  "assignment"};
    }
    return {provisioning_status(device_id, *device), {}};
}

control::StatusSnapshot Observability::status() {
    std::lock_guard lock(totals_mutex_);  // see gateway_counts()
    const auto sessions = bridge_.session_snapshots();
    control::StatusSnapshot snapshot;
    snapshot.sessions = device_statuses(sessions, bridge_.spool().backlogs());
    if (const auto* provisioner = bridge_.provisioner()) {
        auto& devices = snapshot.provisioning.emplace();
        for (const auto& [device_id, p] : provisioner->snapshot()) {
            devices.push_back(provisioning_status(device_id, p));
        }
    }
    snapshot.counters = status_counters(
        {bridge_.counters(), bridge_.spool().counters(), bridge_.local_counters(), sessions,
         totals_.update(sessions), c2d_journal_readings(bridge_.c2d_journal()),
         bridge_.spool().options().max_bytes, reprovisions()});
    return snapshot;
}

}  // namespace hubgate::daemon
