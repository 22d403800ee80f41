#pragma once
// The link to the local MQTT broker, where legacy devices publish.
//
// One thread of its own (the link thread) drives libmosquitto from a poll() loop with
// mosquitto_loop_read / loop_write / loop_misc, so it works whatever the socket's fd number
// (libmosquitto's own loop uses select(), which fails for fds >= 1024).
//
// At-least-once contract (libmosquitto has no manual PUBACK, so this is how it is kept):
//  1. handlers.on_message runs on the link thread for every message, and must, before returning,
//     either store it durably (Spool::append) or discard it on purpose, and answer `taken`;
//     or answer `refused` if it could not store it.
//  2. libmosquitto runs in threaded mode: the PUBACKs it generates are only queued. After each
//     read batch the link asks for handlers.commit() (Spool::commit: one fdatasync for the
//     batch), which runs on a syncer thread of its own (commit_syncer.hpp), and lets libmosquitto
//     write only once that commit succeeded; so the broker never sees a PUBACK for a message
//     that is not on disk (with SyncMode::batch or always). Nothing at all is written while
//     libmosquitto holds a PUBACK of a message whose commit has not succeeded.
//  3. Reading ahead: while a batch syncs, the link goes on reading, without letting libmosquitto
//     see the new messages (their PUBACKs would queue behind the syncing batch's): it peeks at
//     the socket (MSG_PEEK), hands every complete PUBLISH to on_message at once (so it is stored
//     and sent upstream without waiting for the disk), and lets libmosquitto read those packets
//     (queueing their PUBACKs, handler not called again) only after the batch's PUBACKs were
//     written; they then form the next batch. Only over plain TCP (over TLS the bytes are
//     ciphertext) with libmosquitto 2.0, and only while it reads exactly one packet per
//     loop_read and the peeked bytes start where it stopped: while it holds no QoS>0 publish of
//     its own (2.0's loop_read reads one packet per message it holds; downlinks wait for the
//     release) and after it stopped at a packet's end (where reading ahead may follow, it is
//     only let read packets peeked complete). Otherwise, and with LocalLinkOptions::read_ahead
//     false, reading waits while a batch syncs. A PUBLISH libmosquitto reads while a batch
//     syncs all the same drops the connection unwritten (LinkCounters::misreads).
//  4. `refused` or a failed commit: the link drops the connection and the client object without
//     writing anything more, so no PUBACK of an unreleased batch ever leaves; the broker keeps
//     those messages (persistent session) and redelivers them after the reconnect, also those
//     read ahead.
//  5. Redeliveries (after 4., after a lost connection, or after a crash before the release)
//     carry the same packet id: pass InboundMessage::packet_id and a digest as the appended
//     message's spool::SourceRef and the spool answers with the stored copy's seq and $.mid
//     instead of storing it twice; on_connection_change(true, false) (a fresh broker session,
//     packet ids restart) must call Spool::forget_recent_sources().
//  The fsync policy only matters for power loss: a process killed at any point loses nothing,
//  because every `taken` message was written before its PUBACK could be released.
// Flow control: handlers.can_accept() is asked before every read; while it is false the link
// stops reading the socket (the broker queues; TCP pushes back), and re-checks it on wake() and
// every 100 ms. If the pause outlasts the keepalive the connection drops and is re-established
// later; nothing is lost, queued messages stay with the broker.
//
// Connection: fixed client id, clean_session=false, QoS 1 subscriptions to exactly the given
// filters (on the first connection of the process, and again whenever the broker lost the
// session), reconnect with capped, jittered back-off.

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "gateway/transport/commit_syncer.hpp"
#include "gateway/transport/inbound_message.hpp"
#include "gateway/transport/link_counters.hpp"
#include "gateway/transport/local_link_options.hpp"
#include "gateway/transport/mosquitto_client.hpp"
#include "gateway/transport/mqtt_peek.hpp"
#include "gateway/transport/reconnect_backoff.hpp"
#include "gateway/transport/wakeup_fd.hpp"

struct mosquitto_message;

namespace hubgate::transport {

// Callbacks into the owner; all but `commit` run on the link thread, one at a time.
struct LocalLinkHandlers {
    // Required. See the contract above.
    std::function<InboundVerdict(const InboundMessage&)> on_message;
    // Makes everything taken before the call durable; false = do not acknowledge it. Runs on the
    // syncer thread, while on_message may be storing later messages on the link thread.
    std::function<bool()> commit = [] { return true; };
    // Optional. A commit succeeded and its batch's PUBACKs are about to be written:
    // `acknowledged` QoS 1 messages were taken (counted since start, as on_message answered
    // `taken`) before that commit was asked for. (The PUBACK echo's marker goes here.)
    std::function<void(std::uint64_t acknowledged)> on_released;
    // Flow control: false pauses reading from the broker.
    std::function<bool()> can_accept = [] { return true; };
    // Connection established (at CONNACK; subscriptions follow) or lost. `session_resumed`: the
    // broker kept our session (false on a fresh session: packet ids restart, so the owner must
    // call Spool::forget_recent_sources()).
    std::function<void(bool connected, bool session_resumed)> on_connection_change;
    // Optional. A publish() made with a ticket ended: `delivered` once the broker acknowledged
    // it (QoS 1 PUBACK; QoS 0: written), false when libmosquitto refused it for good. Not
    // called for one in flight when the client is dropped: it was not delivered, and its owner
    // still holds it.
    std::function<void(std::uint64_t ticket, bool delivered)> on_publish_done;
};

// The local broker connection: inbound messages to handlers, outbound publish() (thread-safe).
class LocalLink {
  public:
    LocalLink(LocalLinkOptions options, LocalLinkHandlers handlers);
    ~LocalLink();  // stop()
    LocalLink(const LocalLink&) = delete;
    LocalLink& operator=(const LocalLink&) = delete;

    // Checks the settings and starts the link thread, which connects in the background.
    // False with `error` set if the settings are unusable.
    bool start(std::string& error);
    // Releases what was committed, disconnects cleanly (the broker keeps the session) and joins.
    void stop();

    // Queues a message for the local broker (downlinks to legacy devices); any thread. False if
    // the queue is full or the topic is empty. Sent in order once connected.
    // `ticket` (nonzero) is reported to handlers.on_publish_done when the publish ends.
    bool publish(std::string topic, std::string payload, int qos, bool retain,
                 std::uint64_t ticket = 0);
    // Re-evaluates can_accept() now (e.g. after acks freed spool space); any thread.
    void wake() { wakeup_.signal(); }
    // Replaces the subscriptions (hot reload); any thread. Applied on the link thread once
    // connected: filters not held yet are subscribed, dropped ones unsubscribed. Messages the
    // broker queued for a dropped filter before that still arrive.
    void set_filters(std::vector<std::string> filters);

    bool connected() const { return counters_.connected; }
    const LinkCounters& counters() const { return counters_; }

  private:
    enum class State { idle, connecting, connected };
    struct Outbound {
        std::string topic;
        std::string payload;
        int qos = 0;
        bool retain = false;
        std::uint64_t ticket = 0;
    };

    void run();
    void try_connect();
    void read_batch(bool force);
    bool accepting();
    bool may_read() const;
    bool may_read_ahead() const;
    // Reading ahead is on for this connection and what a peek shows is what libmosquitto reads
    // next, one packet per loop_read.
    bool peeks_match_library() const;
    void library_read(bool whole_packet);
    // Copies up to kReadAheadBytes of what the socket holds into peeked_, leaving it there;
    // recv()'s result.
    ssize_t peek_socket(int sock);
    // What the socket holds, peeked: whole packets at its front, or the start of one.
    struct SocketFront {
        std::size_t complete_packets = 0;
        bool partial_packet = false;  // none whole, but the start of one
    };
    SocketFront peek_socket_front();
    void request_commit();
    void collect_commit();
    void settle_commits();
    void read_ahead();
    bool read_ahead_packet(const PeekedPacket& packet);
    void consume_read_ahead();
    bool set_read_low_water(std::size_t bytes);
    void reset_pipeline();
    void reset_read_ahead();
    void write_pending();
    void drain_outbound();
    void apply_new_filters();
    void subscribe(const std::vector<std::string>& filters);
    void drop_client(const char* why);
    void connection_lost();
    void notify_connection(bool up, bool session_resumed);
    void shutdown_connection();
    int poll_timeout_ms() const;

    friend struct LocalLinkCallbacks;  // libmosquitto's C callbacks, forwarding to the members
                                       // below
    void handle_connect(int rc, int flags);
    void handle_disconnect(int rc);
    void handle_message(const ::mosquitto_message* message);
    InboundVerdict deliver(const InboundMessage& inbound);
    void handle_subscribe(int qos_count, const int* granted);
    void handle_publish(int mid);
    void publish_done(std::uint64_t ticket, bool delivered);

    LocalLinkOptions options_;
    LocalLinkHandlers handlers_;
    LinkCounters counters_;
    WakeupFd wakeup_;
    ReconnectBackoff backoff_;

    // Link thread only.
    MosquittoPtr client_;
    State state_ = State::idle;
    std::chrono::steady_clock::time_point next_attempt_{};
    std::chrono::steady_clock::time_point connect_deadline_{};
    bool subscribed_once_ = false;
    std::vector<std::string> subscribing_;  // the filters of the SUBSCRIBE awaiting its SUBACK
    // The PUBACK pipeline (see the contract above). libmosquitto holds PUBACKs of messages taken
    // since the last commit request: nothing may be written.
    bool uncommitted_ = false;
    // The commit under way covers PUBACKs queued in the current client: nothing may be written,
    // and libmosquitto may not read a PUBLISH, until it succeeded.
    bool awaiting_release_ = false;
    std::uint64_t qos_taken_ = 0;        // QoS 1 messages taken since start
    std::uint64_t qos_taken_asked_ = 0;  // qos_taken_ when the commit under way was asked for
    // Read ahead (handled, taken) but not read by libmosquitto yet, oldest first.
    struct ReadAhead {
        int packet_id = 0;
        std::size_t payload_size = 0;
        std::size_t length = 0;  // bytes of the whole packet
    };
    std::deque<ReadAhead> read_ahead_;
    std::size_t read_ahead_bytes_ = 0;
    bool read_ahead_enabled_ = false;  // for the current client: plain TCP, libmosquitto 2.0
    bool read_ahead_full_ = false;     // wait for the release before reading ahead again
    bool read_ahead_broken_ = false;   // libmosquitto read something else than was read ahead
    std::size_t low_water_ = 1;        // the socket's SO_RCVLOWAT
    std::string peeked_;               // the peek buffer
    std::unique_ptr<CommitSyncer> syncer_;
    bool severed_ = false;  // a refusal or failed commit: nothing more may be written
    bool paused_ = false;
    std::uint64_t messages_in_batch_ = 0;
    // Publishes the current client is carrying (with a ticket, or at QoS>0), by message id.
    struct InFlight {
        std::uint64_t ticket = 0;
        bool queued = false;  // QoS>0: in libmosquitto's queue until the broker's PUBACK
    };
    std::unordered_map<int, InFlight> publishes_in_flight_;
    // QoS>0 publishes libmosquitto holds: while there are any, a loop_read may read more than
    // one packet, so nothing is read ahead.
    std::size_t queued_in_library_ = 0;
    // libmosquitto stopped at a packet's end, so the socket's next byte starts a packet.
    bool library_at_boundary_ = true;
    std::uint64_t packets_handled_ = 0;  // packets a callback reported (connect, message, ...)

    std::atomic<bool> stopping_{false};
    std::thread thread_;

    std::mutex outbound_mutex_;
    std::deque<Outbound> outbound_;
    std::deque<Outbound> draining_;  // link thread only: what drain_outbound() took
    std::optional<std::vector<std::string>> new_filters_;  // set_filters(), not applied yet
};

}  // namespace hubgate::transport
