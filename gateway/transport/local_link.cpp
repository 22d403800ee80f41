#include "gateway/transport/local_link.hpp"

#include <mosquitto.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>

#include "gateway/liveness/thread_heartbeat.hpp"
#include "gateway/trace/latency_trace.hpp"

namespace hubgate::transport {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Upper bound of loop_read calls per poll wakeup, so downlinks and keepalive get their turn.
constexpr int kMaxReadsPerBatch = 256;
constexpr int kIdlePollMs = 1000;
constexpr int kPausedPollMs = 100;
constexpr auto kDisconnectFlushTime = milliseconds{2000};
// At most this many bytes are read ahead while a batch syncs; then reading waits for the sync.
constexpr std::size_t kReadAheadBytes = 256 << 10;

// Reading ahead needs libmosquitto to read exactly one packet per loop_read, never more (the
// peeked bytes must start where libmosquitto stopped). 2.0's mosquitto_loop_read reads as many
// packets as the client holds QoS>0 messages of its own, at least one (lib/loop.c): so one only
// while it holds none (queued_in_library_), the version it was checked against.
bool library_reads_packet_by_packet() {
    int major = 0;
    int minor = 0;
    int revision = 0;
    mosquitto_lib_version(&major, &minor, &revision);
    return major == 2 && minor == 0;
}

int ms_until(Clock::time_point when) {
    const auto left = std::chrono::duration_cast<milliseconds>(when - Clock::now()).count();
    return static_cast<int>(std::clamp<long long>(left, 0, kIdlePollMs));
}

}  // namespace

// The C callbacks libmosquitto calls (on the link thread, from inside loop_read/write/misc).
// No exception may cross back into C.
struct LocalLinkCallbacks {
    static void on_connect(mosquitto*, void* self, int rc, int flags) {
        static_cast<LocalLink*>(self)->handle_connect(rc, flags);
    }
    static void on_disconnect(mosquitto*, void* self, int rc) {
        static_cast<LocalLink*>(self)->handle_disconnect(rc);
    }
    static void on_message(mosquitto*, void* self, const mosquitto_message* message) {
        static_cast<LocalLink*>(self)->handle_message(message);
    }
    static void on_subscribe(mosquitto*, void* self, int, int qos_count, const int* granted) {
        static_cast<LocalLink*>(self)->handle_subscribe(qos_count, granted);
    }
    static void on_publish(mosquitto*, void* self, int mid) {
        static_cast<LocalLink*>(self)->handle_publish(mid);
    }
    static void on_log(mosquitto*, void*, int level, const char* text) {
        if (level == MOSQ_LOG_ERR || level == MOSQ_LOG_WARNING) {
            spdlog::debug("local link (libmosquitto): {}", text);
        } else {
            spdlog::trace("local link (libmosquitto): {}", text);
        }
    }
    static void install(mosquitto* client) {
        mosquitto_connect_with_flags_callback_set(client, on_connect);
        mosquitto_disconnect_callback_set(client, on_disconnect);
        mosquitto_message_callback_set(client, on_message);
        mosquitto_subscribe_callback_set(client, on_subscribe);
        mosquitto_publish_callback_set(client, on_publish);
        // libmosquitto formats every log line it hands over: only worth it when it is shown.
        if (spdlog::should_log(spdlog::level::debug)) {
            mosquitto_log_callback_set(client, on_log);
        }
    }
};

LocalLink::LocalLink(LocalLinkOptions options, LocalLinkHandlers handlers)
    : options_(std::move(options)),
      handlers_(std::move(handlers)),
      backoff_(options_.backoff_min, options_.backoff_max) {}

LocalLink::~LocalLink() {
    stop();
}

bool LocalLink::start(std::string& error) {
    if (thread_.joinable()) {
        error = "local link already started";
        return false;
    }
    if (!handlers_.on_message || !handlers_.commit || !handlers_.can_accept) {
        error = "local link needs on_message, commit and can_accept handlers";
        return false;
    }
    if (options_.host.empty() || options_.port <= 0 || options_.port > 65535) {
        error = "local broker host/port invalid";
        return false;
    }
    for (const auto& filter : options_.filters) {
        if (mosquitto_sub_topic_check(filter.c_str()) != MOSQ_ERR_SUCCESS) {
            error = "invalid local subscription filter '" + filter + "'";
            return false;
        }
    }
    // Creating the client here reports unusable settings (missing CA file...) to the caller.
    client_ = make_mosquitto_client(options_, this, error);
    if (!client_) {
        return false;
    }
    LocalLinkCallbacks::install(client_.get());
    reset_pipeline();
    stopping_ = false;
    syncer_ = std::make_unique<CommitSyncer>(handlers_.commit, [this] { wakeup_.signal(); });
    syncer_->start();
    thread_ = std::thread([this] { run(); });
    return true;
}

void LocalLink::stop() {
    if (!thread_.joinable()) {
        return;
    }
    stopping_ = true;
    wakeup_.signal();
    thread_.join();
    syncer_->stop();  // after the link thread, which waited for every commit it asked for
}

bool LocalLink::publish(std::string topic, std::string payload, int qos, bool retain,
                        std::uint64_t ticket) {
    if (topic.empty() || qos < 0 || qos > 2) {
        ++counters_.publish_dropped;
        return false;
    }
    {
        std::lock_guard lock(outbound_mutex_);
        if (outbound_.size() >= options_.max_queued_publishes) {
            ++counters_.publish_dropped;
            return false;
        }
        outbound_.push_back(Outbound{std::move(topic), std::move(payload), qos, retain, ticket});
    }
    wakeup_.signal();
    return true;
}

void LocalLink::run() {
    // libmosquitto writes with write(): a broker that vanished must give EPIPE, not kill us.
    sigset_t pipe_signal;
    sigemptyset(&pipe_signal);
    sigaddset(&pipe_signal, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_signal, nullptr);

    // Plugin hooks run on this thread (UplinkPipeline): the watchdog sees one that hangs.
    liveness::Heartbeat heartbeat("local link");
    while (!stopping_) {
        heartbeat.beat();
        const auto now = Clock::now();
        if (state_ == State::idle && now >= next_attempt_) {
            try_connect();
        } else if (state_ == State::connecting && now >= connect_deadline_) {
            ++counters_.connect_failures;
            drop_client("no CONNACK from the local broker in time");
        }
        if (state_ == State::connected) {
            apply_new_filters();
            drain_outbound();
        }

        const int sock = client_ ? mosquitto_socket(client_.get()) : -1;
        pollfd fds[2] = {{wakeup_.fd(), POLLIN, 0}, {sock, 0, 0}};
        nfds_t count = 1;
        if (sock >= 0) {
            // Before CONNACK we always read (the CONNACK itself must get through), unless a
            // commit covers PUBACKs libmosquitto holds and reading ahead is off.
            const bool reading = may_read() && (state_ != State::connected || accepting());
            // Nothing is written while libmosquitto holds a PUBACK not committed yet.
            const bool writing =
                !uncommitted_ && !awaiting_release_ && mosquitto_want_write(client_.get());
            fds[1].events =
                static_cast<short>((reading ? POLLIN | POLLRDHUP : 0) | (writing ? POLLOUT : 0));
            count = 2;
        }
        const int timeout_ms =
            std::min(poll_timeout_ms(), static_cast<int>(liveness::kMaxIdleWait.count()));
        if (::poll(fds, count, timeout_ms) < 0 && errno != EINTR) {
            spdlog::error("local link: poll failed: {}", std::strerror(errno));
        }
        if ((fds[0].revents & POLLIN) != 0) {
            wakeup_.drain();
        }
        collect_commit();
        if (count < 2 || !client_ || mosquitto_socket(client_.get()) != sock) {
            continue;
        }
        const short revents = fds[1].revents;
        if (awaiting_release_ && (revents & (POLLHUP | POLLERR | POLLRDHUP)) != 0) {
            // libmosquitto may not read now (a PUBACK would join the syncing batch's): what it
            // would find is the end of the connection, and nothing unreleased may be written.
            drop_client("the local broker closed the connection");
        } else if (awaiting_release_) {
            if ((revents & POLLIN) != 0) {
                read_ahead();  // may_read(): it is on
            }
        } else if ((revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
            // A hung-up or failed socket is read even while paused, to notice the loss.
            read_batch((revents & (POLLHUP | POLLERR)) != 0);
        }
        if (client_ && mosquitto_socket(client_.get()) >= 0) {
            write_pending();
        }
        if (client_ && mosquitto_socket(client_.get()) >= 0) {
            mosquitto_loop_misc(client_.get());  // keepalive; a timeout reports a disconnect
        }
    }
    shutdown_connection();
}

void LocalLink::try_connect() {
    if (!client_) {
        std::string error;
        client_ = make_mosquitto_client(options_, this, error);
        if (!client_) {
            spdlog::error("local link: {}", error);
            next_attempt_ = Clock::now() + backoff_.next();
            return;
        }
        LocalLinkCallbacks::install(client_.get());
        reset_pipeline();  // a client object of its own: nothing queued yet
    }
    const int rc = mosquitto_connect_async(client_.get(), options_.host.c_str(), options_.port,
                                           static_cast<int>(options_.keepalive.count()));
    if (rc != MOSQ_ERR_SUCCESS) {
        ++counters_.connect_failures;
        const auto delay = backoff_.next();
        spdlog::warn("local link: cannot connect to {}:{}: {}; retrying in {} ms", options_.host,
                     options_.port,
                     rc == MOSQ_ERR_ERRNO ? std::strerror(errno) : mosquitto_strerror(rc),
                     delay.count());
        next_attempt_ = Clock::now() + delay;
        return;
    }
    state_ = State::connecting;
    connect_deadline_ = Clock::now() + options_.connect_timeout;
}

bool LocalLink::accepting() {
    const bool ok = handlers_.can_accept();
    if (!ok && !paused_) {
        HUBGATE_TRACE(trace::Point::read_paused);
        paused_ = true;
        ++counters_.read_pauses;
        spdlog::warn(
            "local link: cannot take more messages (spool full); pausing reads, the "
            "local broker queues them");
    } else if (ok && paused_) {
        HUBGATE_TRACE(trace::Point::read_resumed);
        paused_ = false;
        spdlog::info("local link: reading from the local broker again");
    }
    return ok;
}

bool LocalLink::may_read() const {
    // While a commit covers queued PUBACKs, libmosquitto may not read (see local_link.hpp).
    return !awaiting_release_ || may_read_ahead();
}

bool LocalLink::may_read_ahead() const {
    return !read_ahead_full_ && peeks_match_library();
}

bool LocalLink::peeks_match_library() const {
    // The peeked bytes start where libmosquitto stopped only at a packet's end, and libmosquitto
    // reads one packet per loop_read only while it holds no message of its own.
    return read_ahead_enabled_ && library_at_boundary_ && queued_in_library_ == 0;
}

void LocalLink::read_batch(bool force) {
    consume_read_ahead();      // normally done at the release already
    std::size_t complete = 0;  // packets seen whole in the socket and not read yet
    for (int i = 0; i < kMaxReadsPerBatch && client_; ++i) {
        if (!force && state_ == State::connected && !accepting()) {
            break;
        }
        // Where reading ahead may follow this batch, libmosquitto only reads packets seen whole
        // in the socket, so that it stops at a packet's end. One still arriving (perhaps larger
        // than the socket holds) it reads as it comes; the callback at its end shows it at a
        // packet's end again, and the packets after it are gated again.
        const bool gated = peeks_match_library();
        if (gated && complete == 0) {
            const SocketFront front = peek_socket_front();
            complete = front.complete_packets;
            if (complete == 0 && !front.partial_packet && !force) {
                break;  // nothing there
            }
        }
        const bool whole = gated && complete > 0;
        force = false;
        const std::uint64_t before = messages_in_batch_;
        library_read(whole);  // failures arrive through handle_disconnect
        if (whole) {
            --complete;
        }
        if (severed_ || mosquitto_socket(client_.get()) < 0 ||
            (!whole && messages_in_batch_ == before)) {
            break;  // nothing more complete to read now, or the connection is gone
        }
    }
    if (severed_) {
        drop_client("a message could not be stored; it stays with the local broker");
        return;
    }
    request_commit();
}

void LocalLink::request_commit() {
    if (!uncommitted_ || syncer_->busy() || !client_) {
        return;  // nothing new, or one commit under way already (collect_commit asks again)
    }
    uncommitted_ = false;
    awaiting_release_ = true;
    qos_taken_asked_ = qos_taken_;
    syncer_->request();
}

void LocalLink::collect_commit() {
    const auto synced = syncer_->take_done();
    if (!synced) {
        return;
    }
    if (!*synced) {
        ++counters_.commit_failures;
        // The spool gave up everything appended up to now: whatever the current client took and
        // has not released (also after a reconnect, while this commit ran) must come again.
        if (awaiting_release_ || uncommitted_ || !read_ahead_.empty()) {
            drop_client("could not commit received messages; they stay with the local broker");
        }
        return;
    }
    if (awaiting_release_) {
        awaiting_release_ = false;
        HUBGATE_TRACE(trace::Point::commit_released);
        if (handlers_.on_released) {
            try {
                handlers_.on_released(qos_taken_asked_);
            } catch (const std::exception& e) {
                spdlog::error("local link: release handler threw: {}", e.what());
            }
        }
        read_ahead_full_ = false;
        set_read_low_water(1);
        // The batch's PUBACKs go now, before libmosquitto reads what was read ahead (whose
        // PUBACKs would queue behind them). What the socket does not take now waits, safely,
        // until the next batch is committed.
        if (client_ && mosquitto_want_write(client_.get())) {
            mosquitto_loop_write(client_.get(), 1);  // failures arrive through handle_disconnect
        }
        consume_read_ahead();
    }
    request_commit();
}

void LocalLink::settle_commits() {
    // No reading any more: each turn leaves less to commit; two turns settle everything.
    for (int turn = 0; turn < 4; ++turn) {
        request_commit();
        if (!syncer_->busy()) {
            return;
        }
        syncer_->wait();
        collect_commit();
    }
}

bool LocalLink::set_read_low_water(std::size_t bytes) {
    if (bytes == low_water_) {
        return true;
    }
    if (!client_ || mosquitto_socket(client_.get()) < 0) {
        return false;
    }
    // poll() reports the socket readable only once this many bytes are there: while reading
    // ahead, only when more came than was peeked already. The kernel caps the mark (at half a
    // fixed receive buffer): a capped one would wake poll() at once, over and over.
    const int sock = mosquitto_socket(client_.get());
    const int value = static_cast<int>(bytes);
    int applied = 0;
    socklen_t length = sizeof applied;
    if (::setsockopt(sock, SOL_SOCKET, SO_RCVLOWAT, &value, sizeof value) != 0 ||
        ::getsockopt(sock, SOL_SOCKET, SO_RCVLOWAT, &applied, &length) != 0) {
        return false;
    }
    low_water_ = static_cast<std::size_t>(applied);
    return applied == value;
}

void LocalLink::library_read(bool whole_packet) {
    const bool one_packet = queued_in_library_ == 0;
    const std::uint64_t handled = packets_handled_;
    mosquitto_loop_read(client_.get(), 1);
    // One packet__read that was seen complete, or that ended a packet a callback reported,
    // leaves libmosquitto at a packet's end; anything else may have stopped inside one.
    library_at_boundary_ = one_packet && (whole_packet || packets_handled_ != handled);
}

ssize_t LocalLink::peek_socket(int sock) {
    peeked_.resize(kReadAheadBytes);
    return ::recv(sock, peeked_.data(), peeked_.size(), MSG_PEEK | MSG_DONTWAIT);
}

LocalLink::SocketFront LocalLink::peek_socket_front() {
    SocketFront front;
    const ssize_t got = peek_socket(mosquitto_socket(client_.get()));
    if (got <= 0) {
        // Nothing, or the end of the connection: a hang-up is read with `force`.
        return front;
    }
    const std::string_view bytes(peeked_.data(), static_cast<std::size_t>(got));
    std::size_t at = 0;
    while (at < bytes.size() &&
           front.complete_packets < static_cast<std::size_t>(kMaxReadsPerBatch)) {
        const PeekedPacket packet = peek_packet(bytes.substr(at));
        if (packet.status == PeekedPacket::Status::incomplete) {
            front.partial_packet = front.complete_packets == 0;
            break;
        }
        ++front.complete_packets;  // a malformed one too: libmosquitto drops the connection
        if (packet.status == PeekedPacket::Status::malformed) {
            break;
        }
        at += packet.length;
    }
    return front;
}

void LocalLink::read_ahead() {
    if (!may_read_ahead()) {
        return;
    }
    const int sock = mosquitto_socket(client_.get());
    const ssize_t got = peek_socket(sock);
    if (got == 0) {
        drop_client("the local broker closed the connection");
        return;
    }
    if (got < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            drop_client("lost the connection to the local broker");
        }
        return;
    }
    std::string_view bytes(peeked_.data(), static_cast<std::size_t>(got));
    std::size_t at = read_ahead_bytes_;  // what was read ahead before is still at the front
    std::size_t needed = 0;              // bytes the socket must hold before the next look
    while (at < bytes.size()) {
        const PeekedPacket packet = peek_packet(bytes.substr(at));
        if (packet.status == PeekedPacket::Status::incomplete) {
            needed = std::max(bytes.size() + 1, at + packet.length);
            break;
        }
        if (packet.status == PeekedPacket::Status::malformed ||
            (packet.type != kMqttPublish && !read_ahead_.empty())) {
            read_ahead_full_ = true;  // for libmosquitto to read, in order, after the release
            return;
        }
        if (packet.type != kMqttPublish) {
            // At the front (a PINGRESP, a SUBACK): libmosquitto reads exactly this packet,
            // which queues no PUBACK.
            library_read(true);
            if (severed_) {
                drop_client("libmosquitto read a message while a batch synced");
                return;
            }
            if (!client_ || mosquitto_socket(client_.get()) != sock) {
                return;
            }
            bytes.remove_prefix(packet.length);
            continue;
        }
        if (!accepting()) {
            needed = at + 1;  // readable again as soon as can_accept() lets it go on
            break;
        }
        if (!read_ahead_packet(packet)) {
            return;
        }
        at += packet.length;
    }
    if (needed == 0) {
        needed = bytes.size() + 1;
    }
    // Past what a peek can show, or what the socket can hold: the rest waits for the release.
    read_ahead_full_ = needed > kReadAheadBytes || !set_read_low_water(needed);
}

bool LocalLink::read_ahead_packet(const PeekedPacket& packet) {
    InboundMessage inbound;
    inbound.topic = packet.topic;
    inbound.payload = packet.payload;
    inbound.qos = packet.qos;
    inbound.retain = packet.retain;
    inbound.packet_id = packet.packet_id;
    if (deliver(inbound) != InboundVerdict::taken) {
        drop_client("a message could not be stored; it stays with the local broker");
        return false;
    }
    read_ahead_.push_back(ReadAhead{packet.packet_id, packet.payload.size(), packet.length});
    read_ahead_bytes_ += packet.length;
    ++counters_.read_ahead;
    return true;
}

void LocalLink::consume_read_ahead() {
    while (!read_ahead_.empty() && client_) {
        const std::size_t before = read_ahead_.size();
        library_read(true);  // handle_message takes it off read_ahead_
        if (severed_) {
            drop_client("the local broker's stream differs from what was read ahead");
            return;
        }
        if (read_ahead_.size() == before) {
            // The packet was complete in the socket: only a lost connection stops it.
            drop_client("could not read what was read ahead");
            return;
        }
    }
}

void LocalLink::reset_pipeline() {
    uncommitted_ = false;
    awaiting_release_ = false;
    severed_ = false;
    reset_read_ahead();
}

void LocalLink::reset_read_ahead() {
    read_ahead_.clear();
    read_ahead_bytes_ = 0;
    read_ahead_full_ = false;
    low_water_ = 1;               // a new socket starts at 1
    library_at_boundary_ = true;  // a new connection: libmosquitto starts at its first packet
    read_ahead_enabled_ = options_.read_ahead && !options_.tls && options_.qos <= 1 &&
                          !read_ahead_broken_ && library_reads_packet_by_packet();
}

void LocalLink::write_pending() {
    // Invariant: nothing is written while libmosquitto holds a PUBACK whose message is not
    // committed (taken since the last request, or covered by the commit under way).
    request_commit();
    if (client_ && !uncommitted_ && !awaiting_release_ && mosquitto_want_write(client_.get())) {
        mosquitto_loop_write(client_.get(), 1);  // failures arrive through handle_disconnect
    }
}

void LocalLink::drain_outbound() {
    if (read_ahead_enabled_ && (awaiting_release_ || !read_ahead_.empty())) {
        // Reading ahead needs libmosquitto to hold no QoS>0 message of its own (see
        // library_reads_packet_by_packet). Nothing would be written before the release anyway.
        return;
    }
    std::unique_lock lock(outbound_mutex_);
    if (outbound_.empty()) {
        return;
    }
    // A std::deque allocates even while empty: the two queues trade places and keep their
    // blocks, so a turn with something to publish (a PUBACK marker after every commit) makes
    // none.
    std::deque<Outbound>& batch = draining_;
    batch.swap(outbound_);
    lock.unlock();
    while (!batch.empty() && client_) {
        Outbound& message = batch.front();
        int mid = 0;
        const int rc = mosquitto_publish(client_.get(), &mid, message.topic.c_str(),
                                         static_cast<int>(message.payload.size()),
                                         message.payload.data(), message.qos, message.retain);
        if (rc == MOSQ_ERR_NO_CONN) {
            break;  // keep it (and the rest, in order) for the next connection
        }
        if (rc == MOSQ_ERR_SUCCESS) {
            ++counters_.published;
            if (message.ticket != 0 || message.qos > 0) {
                // Threaded mode: nothing is written before this returns, so the ack comes later.
                publishes_in_flight_[mid] = InFlight{message.ticket, message.qos > 0};
                if (message.qos > 0) {
                    ++queued_in_library_;
                }
            }
        } else {
            ++counters_.publish_dropped;
            spdlog::warn("local link: cannot publish to '{}': {}", message.topic,
                         mosquitto_strerror(rc));
            publish_done(message.ticket, false);
        }
        batch.pop_front();
    }
    if (!batch.empty()) {
        lock.lock();
        outbound_.insert(outbound_.begin(), std::make_move_iterator(batch.begin()),
                         std::make_move_iterator(batch.end()));
        batch.clear();
    }
}

void LocalLink::drop_client(const char* why) {
    if (!client_) {
        return;
    }
    const bool was_connected = state_ == State::connected;
    // Destroying closes the socket without writing the queued packets: PUBACKs not yet
    // released never reach the broker.
    client_.reset();
    publishes_in_flight_.clear();
    queued_in_library_ = 0;
    reset_pipeline();
    state_ = State::idle;
    const auto delay = backoff_.next();
    next_attempt_ = Clock::now() + delay;
    spdlog::warn("local link: {}; reconnecting in {} ms", why, delay.count());
    if (was_connected) {
        connection_lost();
    }
}

void LocalLink::connection_lost() {
    counters_.connected = false;
    ++counters_.disconnects;
    notify_connection(false, false);
}

void LocalLink::notify_connection(bool up, bool session_resumed) {
    if (!handlers_.on_connection_change) {
        return;
    }
    try {
        handlers_.on_connection_change(up, session_resumed);
    } catch (const std::exception& e) {
        spdlog::error("local link: connection handler threw: {}", e.what());
    }
}

void LocalLink::shutdown_connection() {
    if (!client_) {
        return;
    }
    settle_commits();
    if (client_ && state_ == State::connected) {
        drain_outbound();
        mosquitto_disconnect(client_.get());
        const auto deadline = Clock::now() + kDisconnectFlushTime;
        while (client_ && mosquitto_socket(client_.get()) >= 0 &&
               mosquitto_want_write(client_.get()) && Clock::now() < deadline) {
            pollfd out{mosquitto_socket(client_.get()), POLLOUT, 0};
            ::poll(&out, 1, ms_until(deadline));
            if (mosquitto_loop_write(client_.get(), 1) != MOSQ_ERR_SUCCESS) {
                break;
            }
        }
    }
    const bool was_connected = state_ == State::connected;
    client_.reset();
    publishes_in_flight_.clear();
    queued_in_library_ = 0;
    reset_pipeline();
    state_ = State::idle;
    if (was_connected) {
        connection_lost();
    }
}

int LocalLink::poll_timeout_ms() const {
    if (stopping_) {
        return 0;
    }
    int timeout = paused_ ? kPausedPollMs : kIdlePollMs;
    if (state_ == State::idle) {
        timeout = std::min(timeout, ms_until(next_attempt_));
    } else if (state_ == State::connecting) {
        timeout = std::min(timeout, ms_until(connect_deadline_));
    }
    return timeout;
}

void LocalLink::handle_connect(int rc, int flags) {
    ++packets_handled_;
    if (rc != 0) {
        // libmosquitto reports the closed connection next, through handle_disconnect.
        spdlog::error("local link: the local broker refused the connection: {}",
                      mosquitto_connack_string(rc));
        return;
    }
    const bool session_present = (flags & 1) != 0;
    state_ = State::connected;
    backoff_.reset();
    if (++counters_.connects > 1) {
        ++counters_.reconnects;
    }
    counters_.connected = true;
    spdlog::info("local link: connected to {}:{} as '{}' ({})", options_.host, options_.port,
                 options_.client_id, session_present ? "session resumed" : "new session");
    // A resumed session still has our subscriptions; a new one (first start, or a broker that
    // lost its state) needs them. The first connection of a process always subscribes, in case
    // the filters changed.
    if ((!subscribed_once_ || !session_present) && !options_.filters.empty()) {
        subscribe(options_.filters);
    }
    notify_connection(true, session_present);
}

void LocalLink::subscribe(const std::vector<std::string>& filters) {
    subscribing_ = filters;
    std::vector<char*> names;
    for (auto& filter : subscribing_) {
        names.push_back(filter.data());
    }
    const int rc =
        mosquitto_subscribe_multiple(client_.get(), nullptr, static_cast<int>(names.size()),
                                     names.data(), options_.qos, 0, nullptr);
    if (rc != MOSQ_ERR_SUCCESS) {
        ++counters_.subscribe_failures;
        spdlog::error("local link: cannot subscribe: {}", mosquitto_strerror(rc));
    }
}

void LocalLink::set_filters(std::vector<std::string> filters) {
    {
        std::lock_guard lock(outbound_mutex_);
        new_filters_ = std::move(filters);
    }
    wakeup_.signal();
}

void LocalLink::apply_new_filters() {
    std::optional<std::vector<std::string>> next;
    {
        std::lock_guard lock(outbound_mutex_);
        next.swap(new_filters_);
    }
    if (!next) {
        return;
    }
    auto held = [](const std::vector<std::string>& set, const std::string& filter) {
        return std::find(set.begin(), set.end(), filter) != set.end();
    };
    std::vector<std::string> added;
    std::vector<std::string> dropped;
    for (const auto& filter : *next) {
        if (!held(options_.filters, filter)) {
            added.push_back(filter);
        }
    }
    for (const auto& filter : options_.filters) {
        if (!held(*next, filter)) {
            dropped.push_back(filter);
        }
    }
    options_.filters = std::move(*next);
    if (!added.empty()) {
        subscribe(added);
    }
    if (!dropped.empty()) {
        std::vector<char*> names;
        for (auto& filter : dropped) {
            names.push_back(filter.data());
        }
        const int rc = mosquitto_unsubscribe_multiple(
            client_.get(), nullptr, static_cast<int>(names.size()), names.data(), nullptr);
        if (rc != MOSQ_ERR_SUCCESS) {
            spdlog::error("local link: cannot unsubscribe: {}", mosquitto_strerror(rc));
        }
    }
    spdlog::info("local link: subscriptions changed: {} added, {} dropped", added.size(),
                 dropped.size());
}

void LocalLink::handle_disconnect(int rc) {
    const bool was_connected = state_ == State::connected;
    state_ = State::idle;
    // The stream that was read ahead is gone (the broker redelivers those messages). The commit
    // under way was for PUBACKs of that connection: it must not release what the next one
    // queues, so whatever libmosquitto holds now waits for a commit asked for after it.
    if (awaiting_release_) {
        awaiting_release_ = false;
        uncommitted_ = true;
    }
    reset_read_ahead();
    if (stopping_) {
        if (was_connected) {
            connection_lost();
        }
        return;
    }
    if (!was_connected) {
        ++counters_.connect_failures;
    }
    const auto delay = backoff_.next();
    next_attempt_ = Clock::now() + delay;
    spdlog::warn("local link: {} {}:{} ({}); reconnecting in {} ms",
                 was_connected ? "lost the connection to" : "could not connect to", options_.host,
                 options_.port, mosquitto_strerror(rc), delay.count());
    if (was_connected) {
        connection_lost();
    }
}

void LocalLink::handle_message(const mosquitto_message* message) {
    ++packets_handled_;
    if (severed_) {
        return;  // this connection will be dropped unacknowledged; the broker redelivers
    }
    if (awaiting_release_) {
        // While a batch syncs libmosquitto may read no PUBLISH: its PUBACK would be written with
        // the batch's, before this message is committed. It read past what the link let it
        // read; dropping the connection unwritten leaves the message with the broker.
        ++counters_.misreads;
        severed_ = true;
        return;
    }
    if (!read_ahead_.empty()) {
        // Handled when it was read ahead: libmosquitto has now queued its PUBACK, for the next
        // commit. A different message here means the stream was misread: stop reading ahead.
        const ReadAhead expected = read_ahead_.front();
        read_ahead_.pop_front();
        read_ahead_bytes_ -= expected.length;
        if (message->mid != expected.packet_id ||
            static_cast<std::size_t>(message->payloadlen) != expected.payload_size) {
            spdlog::error(
                "local link: libmosquitto read another message than the one read ahead; "
                "reading ahead is off from now on");
            read_ahead_broken_ = true;
            severed_ = true;
            return;
        }
        uncommitted_ = true;
        return;
    }
    ++messages_in_batch_;
    InboundMessage inbound;
    inbound.topic = message->topic != nullptr ? message->topic : "";
    inbound.payload = std::string_view(static_cast<const char*>(message->payload),
                                       static_cast<std::size_t>(message->payloadlen));
    inbound.qos = message->qos;
    inbound.retain = message->retain;
    inbound.packet_id = message->mid;
    if (deliver(inbound) == InboundVerdict::taken) {
        uncommitted_ = true;
    } else {
        severed_ = true;
    }
}

InboundVerdict LocalLink::deliver(const InboundMessage& inbound) {
    HUBGATE_TRACE_LOCAL_READ();
    ++counters_.received;
    InboundVerdict verdict = InboundVerdict::refused;
    try {
        verdict = handlers_.on_message(inbound);
    } catch (const std::exception& e) {
        spdlog::error("local link: message handler threw on '{}': {}", inbound.topic, e.what());
    }
    if (verdict == InboundVerdict::taken) {
        if (inbound.qos > 0) {
            ++qos_taken_;
        }
    } else {
        ++counters_.refused;
    }
    return verdict;
}

void LocalLink::handle_subscribe(int qos_count, const int* granted) {
    ++packets_handled_;
    bool all_granted = true;
    for (int i = 0; i < qos_count; ++i) {
        if (granted[i] == 0x80) {
            all_granted = false;
            ++counters_.subscribe_failures;
            const std::string filter =
                static_cast<std::size_t>(i) < subscribing_.size() ? subscribing_[i] : "?";
            spdlog::error("local link: the local broker refused the subscription to '{}'", filter);
        }
    }
    if (all_granted) {
        subscribed_once_ = true;
        ++counters_.subscribed;
    }
}

void LocalLink::handle_publish(int mid) {
    ++packets_handled_;
    const auto found = publishes_in_flight_.find(mid);
    if (found == publishes_in_flight_.end()) {
        return;
    }
    const InFlight done = found->second;
    publishes_in_flight_.erase(found);
    if (done.queued) {
        --queued_in_library_;  // libmosquitto let go of it (lib/handle_pubackcomp.c)
    }
    publish_done(done.ticket, true);
}

void LocalLink::publish_done(std::uint64_t ticket, bool delivered) {
    if (ticket == 0 || !handlers_.on_publish_done) {
        return;
    }
    try {
        handlers_.on_publish_done(ticket, delivered);
    } catch (const std::exception& e) {
        spdlog::error("local link: publish handler threw: {}", e.what());
    }
}

}  // namespace hubgate::transport
