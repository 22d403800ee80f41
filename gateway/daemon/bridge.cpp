#include "gateway/daemon/bridge.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <fstream>
#include <sstream>

#include "gateway/core/session_settings.hpp"
#include "hubgate/iothub/hub_topics.hpp"

namespace hubgate::daemon {

namespace {

using std::chrono::duration_cast;
using std::chrono::seconds;

spool::SpoolOptions spool_options_from(const config::Config& config) {
    spool::SpoolOptions options;
    options.dir = config.spool.dir;
    options.max_bytes = config.spool.max_size;
    options.ttl = duration_cast<seconds>(config.spool.ttl);
    options.window = std::max<std::size_t>(1, config.sessions.max_inflight);
    options.sync = spool::SyncMode::batch;
    // A record is refused above this anyway by the hub's own limit (uplink_pipeline.hpp).
    options.max_record_bytes =
        std::min<std::uint64_t>(options.max_record_bytes, options.max_bytes / 4);
    return options;
}

bool local_options_from(const config::Config& config, std::vector<std::string> filters,
                        transport::LocalLinkOptions& options, std::string& error) {
    options.host = config.local.host;
    options.port = config.local.port;
    options.client_id = config.local.client_id;
    options.keepalive = duration_cast<seconds>(config.local.keepalive);
    options.filters = std::move(filters);
    options.qos = config.local.qos;
    if (!config.local.username.empty()) {
        options.username = config.local.username;
        if (!config.local.password_file.empty()) {
            std::ifstream in(config.local.password_file, std::ios::binary);
            if (!in) {
                error = "cannot read the local broker password file " +
                        config.local.password_file.string();
                return false;
            }
            std::stringstream text;
            text << in.rdbuf();
            std::string password = text.str();
            while (!password.empty() && (password.back() == '\n' || password.back() == '\r')) {
                password.pop_back();
            }
            options.password = std::move(password);
        }
    }
    if (config.local.tls.enabled()) {
        transport::LocalTlsOptions tls;
        tls.ca_file = config.local.tls.ca_file.string();
        tls.cert_file = config.local.tls.cert_file.string();
        tls.key_file = config.local.tls.key_file.string();
        options.tls = std::move(tls);
    }
    return true;
}

}  // namespace

Bridge::Bridge(const config::Config& config)
    : config_(config), upstream_factory_(!config.hub.proxy.empty()) {}

Bridge::~Bridge() {
    stop();
}

std::unique_ptr<Bridge> Bridge::open(const config::Config& config,
                                     std::vector<std::string>& errors) {
    std::unique_ptr<Bridge> bridge(new Bridge(config));
    std::string error;
    bridge->poison_ = std::make_unique<core::PoisonGuard>(config.state.dir, bridge->counters_);
    if (!bridge->poison_->open(error)) {
        errors.push_back(error);
        return nullptr;
    }
    auto loaded = std::make_shared<core::LoadedMappings>();
    if (!core::load_mappings(config, *loaded, errors, bridge->poison_.get())) {
        return nullptr;
    }
    bridge->filters_ = loaded->set->local_subscriptions();
    spdlog::info("mappings: {} rules from {} files; local subscriptions: {}",
                 loaded->set->rule_count(), loaded->files.size(), fmt::join(bridge->filters_, " "));
    bridge->mappings_ = std::make_unique<core::ActiveMappings>(std::move(loaded));
    const auto& rules = *bridge->mappings_;

    bridge->devices_ = std::make_unique<core::DeviceRegistry>(config.state.dir);
    if (!bridge->devices_->load(error)) {
        errors.push_back(error);
        return nullptr;
    }
    bridge->desired_ = std::make_unique<core::DesiredStateStore>(config.state.dir);
    if (!bridge->desired_->load(error)) {
        errors.push_back("state: " + error);
        return nullptr;
    }
    bridge->spool_ = spool::Spool::open(spool_options_from(config), error);
    if (!bridge->spool_) {
        errors.push_back("spool " + config.spool.dir.string() + ": " + error);
        return nullptr;
    }

    core::DownlinkJournal::Recovered recovered;
    const auto journal_path = config.state.dir / "c2d.journal";
    bridge->c2d_journal_ = core::DownlinkJournal::open(journal_path, recovered, error);
    if (!bridge->c2d_journal_) {
        errors.push_back("c2d journal " + journal_path.string() + ": " + error);
        return nullptr;
    }
    bridge->c2d_leftovers_ = std::move(recovered.outstanding);

    core::SessionSettings settings;
    if (!core::session_settings_from(config, settings, error)) {
        errors.push_back(error);
        return nullptr;
    }
    auto& b = *bridge;
    if (config.provisioning.enabled()) {
        // Runs on the thread of the device's registration (several at once; restart_session
        // only posts to the session manager); the provisioner joins them all when it stops,
        // before the hub side goes. A connected session (registered again by hand) connects
        // again with the new assignment.
        auto assigned = [&b](const std::string& device_id) {
            b.hub_side_->sessions().restart_session(device_id);
        };
        if (!open_provisioning(config, std::move(assigned), b.provisioning_, error)) {
            errors.push_back(error);
            return nullptr;
        }
        if (b.provisioning_.leaves)
            use_provisioned_certificates(config, b.provisioning_, settings.session);
        else
            use_provisioned_keys(config, *b.provisioning_.provisioner, settings.session);
    }
    transport::LocalLinkOptions link_options;
    if (!local_options_from(config, b.filters_, link_options, error)) {
        errors.push_back(error);
        return nullptr;
    }
    b.unconfirmed_ = std::make_unique<transport::UnconfirmedWindow>(config.local.max_unconfirmed);
    if (config.local.max_unconfirmed > 0) {
        b.puback_echo_ =
            std::make_unique<transport::PubackEcho>(link_options, [&b] { b.local_->wake(); });
    }
    transport::LocalLinkHandlers handlers;
    spool::Spool* spool = b.spool_.get();
    transport::UnconfirmedWindow* unconfirmed = b.unconfirmed_.get();
    // The uplink pipeline is built below, before start() runs the link.
    handlers.on_message = [&b, unconfirmed, spool](const transport::InboundMessage& message) {
        const auto packet_id = static_cast<uint32_t>(message.packet_id);
        // This thread is the only one that appends: a count that did not move means not stored.
        const auto& counts = spool->counters();
        const auto stored_before = counts.appended.load() + counts.redeliveries.load();
        if (b.uplink_->handle(message.topic, message.payload, packet_id) ==
            core::UplinkOutcome::retry) {
            return transport::InboundVerdict::refused;
        }
        if (packet_id != 0 &&
            counts.appended.load() + counts.redeliveries.load() == stored_before) {
            spool->pass_source(packet_id);
        }
        if (message.qos > 0) {
            unconfirmed->taken();
        }
        return transport::InboundVerdict::taken;
    };
    core::DeviceRegistry* devices = b.devices_.get();
    Bridge* self = &b;
    // On the link's syncer thread, while the link reads on (local_link.hpp).
    handlers.commit = [spool, devices] {
        // A device file that cannot be written does not hold the messages back (see save()).
        devices->save();
        return spool->commit();
    };
    handlers.on_released = [self](std::uint64_t acknowledged) {
        // Queued behind this batch's PUBACKs (which the link writes after we return).
        self->publish_puback_marker(self->unconfirmed_->marker_after_commit(
            transport::UnconfirmedWindow::Clock::now(), acknowledged));
    };
    handlers.can_accept = [self, spool] { return spool->has_room() && self->may_read_local(); };
    // Packet ids only identify a redelivery within one broker session: a session the broker
    // lost starts numbering afresh.
    handlers.on_connection_change = [spool, unconfirmed](bool up, bool resumed) {
        if (!up)
            unconfirmed->connection_lost();
        if (up && !resumed)
            spool->forget_recent_sources();
    };
    core::DownlinkJournal* journal = b.c2d_journal_.get();
    handlers.on_publish_done = [journal](std::uint64_t ticket, bool delivered) {
        if (delivered) {
            journal->published(ticket);
        } else {
            journal->release(ticket);  // libmosquitto refused it for good
        }
    };
    b.local_ = std::make_unique<transport::LocalLink>(std::move(link_options), std::move(handlers));
    b.local_publisher_ = std::make_unique<core::LocalLinkPublisher>(*b.local_);
    b.deferred_ = std::make_unique<core::WorkQueue>();
    transport::LocalLink* link = b.local_.get();
    // A C2D message is journaled before the hub has its PUBACK, and forgotten once the local
    // broker acknowledged its local publish.
    b.hub_side_ = std::make_unique<core::HubActor>(
        core::HubActorDeps{std::move(settings), b.upstream_factory_, b.clock_, *b.c2d_journal_,
                           *b.spool_, b.counters_, rules, *b.devices_, *b.local_publisher_,
                           *b.desired_, *b.deferred_, [link] { link->wake(); }, b.poison_.get()});
    auto& hub_side = *b.hub_side_;
    b.uplink_ = std::make_unique<core::UplinkPipeline>(
        core::UplinkDeps{rules, *b.devices_, *b.spool_, hub_side.sender(), hub_side.hub(),
                         hub_side.methods(), b.counters_, b.poison_.get()});
    return bridge;
}

void Bridge::publish_puback_marker(std::optional<std::uint64_t> marker) {
    if (marker && puback_echo_) {
        local_->publish(puback_echo_->topic(), std::to_string(*marker), 0, false);
    }
}

bool Bridge::may_read_local() {
    const auto now = transport::UnconfirmedWindow::Clock::now();
    const bool ready = puback_echo_ && puback_echo_->ready();
    if (unconfirmed_->allows(ready, ready ? puback_echo_->confirmed() : 0, now)) {
        return true;
    }
    publish_puback_marker(unconfirmed_->marker_to_repeat(now));
    return false;
}

bool Bridge::start(std::string& error) {
    // Queued on the local link before any session can hand down something newer.
    hub_side_->downlink().publish_kept_desired_states();
    hub_side_->sender().start();
    hub_side_->sessions().start();
    if (provisioning_.provisioner) {
        provisioning_.provisioner->start();
    }
    // Devices that must receive downlinks get their sessions now; messages recovered from the
    // spool start draining as soon as their sessions connect.
    uplink_->open_startup_sessions(config_.sessions.startup_devices,
                                   config_.sessions.connect_seen_devices);
    for (const auto& device_id : spool_->devices_with_backlog()) {
        hub_side_->sender().notify(device_id);
    }
    publish_c2d_leftovers();
    if (puback_echo_ && !puback_echo_->start(error)) {
        return false;
    }
    if (!local_->start(error)) {
        return false;
    }
    started_ = true;
    return true;
}

void Bridge::publish_c2d_leftovers() {
    if (c2d_leftovers_.empty()) {
        return;
    }
    spdlog::warn(
        "c2d journal: {} C2D messages of an earlier run were not acknowledged by the "
        "local broker; publishing them again",
        c2d_leftovers_.size());
    for (auto& entry : c2d_leftovers_) {
        // Rendered again from the hub's message, as on its first delivery, in the order kept.
        const auto parsed = iothub::parse_downlink_topic(entry.device_id, entry.topic);
        const auto* c2d = std::get_if<iothub::C2dTopic>(&parsed);
        if (c2d == nullptr) {
            c2d_journal_->release(entry.ticket);
            continue;
        }
        hub_side_->downlink().on_c2d(session::C2dMessage{entry.device_id, std::move(entry.payload),
                                                         c2d->properties, entry.ticket});
    }
    c2d_leftovers_.clear();
}

void Bridge::stop() {
    if (stopped_ || !started_) {
        return;
    }
    stopped_ = true;
    // No new messages first: the local broker keeps what we have not taken.
    local_->stop();
    if (puback_echo_) {
        puback_echo_->stop();
    }
    if (provisioning_.provisioner) {
        provisioning_.provisioner->stop();  // no session is started again from here on
    }
    hub_side_->sender().stop();
    hub_side_->sessions().stop();
    // Desired updates still queued are kept on disk now, and published at the next start; no
    // session callback can post more after stop().
    deferred_.reset();
    devices_->save();
    spool_->commit();
    spdlog::info("bridge stopped: {}", counters_.summary());
}

bool Bridge::reload_mappings(const config::Config& next, std::vector<std::string>& errors) {
    auto loaded = std::make_shared<core::LoadedMappings>();
    if (!core::load_mappings(next, *loaded, errors, poison_.get())) {
        return false;
    }
    auto filters = loaded->set->local_subscriptions();
    spdlog::info("reload: {} rules from {} files; local subscriptions: {}",
                 loaded->set->rule_count(), loaded->files.size(), fmt::join(filters, " "));
    mappings_->replace(std::move(loaded));
    if (filters != filters_) {
        filters_ = filters;
        local_->set_filters(std::move(filters));
    }
    return true;
}

void Bridge::housekeeping() {
    hub_side_->sender().tick();
    // Deleting finished segments and compacting acks.log wait for the disk: done here, on the
    // main thread, not on the threads that carry messages.
    spool_->tidy();
    if (const auto dropped = spool_->expire(); dropped > 0) {
        spdlog::warn("spool: dropped {} messages older than the TTL", dropped);
    }
}

}  // namespace hubgate::daemon
