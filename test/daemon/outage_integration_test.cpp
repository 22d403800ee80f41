// End to end, a real hub outage: hubsim is stopped (SIGTERM; its broker and every session go
// away, the ports refuse connections) in the middle of a stream and started again later on the
// same ports with the same CA and registry. Legacy devices keep publishing throughout; every
// message must arrive, counted by device and payload "seq" across both hub instances.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <functional>
#include <set>
#include <string_view>
#include <thread>

#include "bridge_env.hpp"
#include "fleet.hpp"
#include "gateway/spool/crc32.hpp"
#include "gateway/spool/record_codec.hpp"
#include "hub_telemetry.hpp"
#include "legacy_client.hpp"

namespace hubgate::test {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::chrono::milliseconds time_left(Clock::time_point until) {
    return std::max(0ms,
                    std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()));
}

// One connection attempt to 127.0.0.1:port.
bool accepts_connections(int port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    return ok;
}

// Waits (bounded) until `needle` occurs `count` times in hubgate's current output after offset
// `from`.
bool wait_for_log_count(BridgeEnv& env, const std::string& needle, int count, std::size_t from,
                        std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    for (int seen = 0; seen < count; ++seen) {
        if (!env.wait_for_log(needle, time_left(deadline), from))
            return false;
        from = env.hubgate().output().find(needle, from) + needle.size();
    }
    return true;
}

// What two hub instances recorded, as one.
ReceivedTelemetry merged(const ReceivedTelemetry& a, const ReceivedTelemetry& b) {
    ReceivedTelemetry all = a;
    all.messages.insert(all.messages.end(), b.messages.begin(), b.messages.end());
    all.message_ids.insert(b.message_ids.begin(), b.message_ids.end());
    for (const auto& [device, seqs] : b.seqs_by_device) {
        all.seqs_by_device[device].insert(seqs.begin(), seqs.end());
    }
    for (const auto& [message, mids] : b.mids_by_message) {
        all.mids_by_message[message].insert(mids.begin(), mids.end());
    }
    return all;
}

// Reads what the (restarted) hub records until, together with `before` (the first instance's
// record), no message of `per_device` per device is missing, or `timeout` passed.
ReceivedTelemetry collect_rest(const HubsimFixture& hub, const ReceivedTelemetry& before,
                               const std::vector<std::string>& ids, int per_device,
                               std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    std::size_t want = missing(before, ids, per_device).size();
    for (;;) {
        auto rest = collect_telemetry(hub, want, time_left(deadline));
        const auto absent = missing(merged(before, rest), ids, per_device);
        if (absent.empty() || time_left(deadline) == 0ms)
            return rest;
        // Duplicates of messages `before` already has counted towards `want`: ask for more.
        want = rest.distinct_seqs() + absent.size();
    }
}

// Calls `visit` with every intact record in hubgate's spool folder now, read from its segment
// files. A record being appended at this moment may be cut short: it is skipped.
void for_each_spooled(const fs::path& spool_dir,
                      const std::function<void(const spool::SpoolMessage&)>& visit) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(spool_dir, ec)) {
        if (entry.path().extension() != ".seg")
            continue;
        const auto bytes = read_file(entry.path());  // empty when deleted meanwhile
        std::string_view rest(bytes);
        for (;;) {
            const auto header = spool::record::decode_header(rest, rest.size());
            if (header.status != spool::record::HeaderStatus::ok)
                break;
            const auto body = rest.substr(spool::record::kHeaderSize, header.body_size);
            rest.remove_prefix(spool::record::kHeaderSize + header.body_size);
            if (spool::crc32(body) != header.crc)
                continue;
            if (const auto record = spool::record::decode_body(body, header.format))
                visit(record->message);
        }
    }
}

// The (device, seq) of every telemetry record in hubgate's spool folder now.
std::set<std::pair<std::string, int>> spooled_messages(const fs::path& spool_dir) {
    std::set<std::pair<std::string, int>> found;
    for_each_spooled(spool_dir, [&](const spool::SpoolMessage& message) {
        const auto payload = json::parse(message.payload, nullptr, false);
        if (payload.is_object() && payload.contains("seq") && payload["seq"].is_number()) {
            found.emplace(message.device_id, payload["seq"].get<int>());
        }
    });
    return found;
}

// Waits (bounded) until hubgate's spool holds seq `first`..`last` of every device. The spool
// has no change notification: its files are read again at a short interval.
bool wait_spooled(const fs::path& spool_dir, const std::vector<std::string>& ids, int first,
                  int last, std::chrono::milliseconds timeout, std::string& first_absent) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
        const auto spooled = spooled_messages(spool_dir);
        first_absent.clear();
        for (const auto& id : ids) {
            for (int seq = first; seq <= last && first_absent.empty(); ++seq) {
                if (!spooled.contains({id, seq}))
                    first_absent = id + "#" + std::to_string(seq);
            }
        }
        if (first_absent.empty())
            return true;
        if (Clock::now() >= deadline)
            return false;
        std::this_thread::sleep_for(20ms);
    }
}

}  // namespace

TEST_CASE("a restarted hubsim keeps its ports, CA and registry and forgets the hub's state") {
    HubsimOptions options;
    options.devices = {{.id = "dev1"}};
    HubsimFixture hub(options);
    const int ports[] = {hub.mqtts_port(), hub.wss_port(), hub.https_port()};
    const auto ca = read_file(hub.ca_file());
    REQUIRE(hub.patch_twin("dev1", {{"properties", {{"desired", {{"x", 1}}}}}}).ok());

    hub.stop();
    CHECK_FALSE(hub.running());
    CHECK_FALSE(accepts_connections(ports[0]));
    CHECK(hub.get_device("dev1").status == 0);  // nobody answers
    hub.restart();
    CHECK(hub.running());
    CHECK(hub.mqtts_port() == ports[0]);
    CHECK(hub.wss_port() == ports[1]);
    CHECK(hub.https_port() == ports[2]);
    CHECK(read_file(hub.ca_file()) == ca);
    // The registry (with the same keys) is back; the twin is a fresh one.
    const auto device = hub.get_device("dev1");
    REQUIRE(device.status == 200);
    // Compared here, not in CHECK: a failure must not print a key.
    const bool same_key = device.body["authentication"]["symmetricKey"]["primaryKey"] ==
                          hub.device("dev1").primary_key;
    CHECK(same_key);
    CHECK_FALSE(hub.get_twin("dev1").body["properties"]["desired"].contains("x"));
}

TEST_CASE("restarting hubsim gives up in time when another process holds its port") {
    HubsimOptions options;
    options.ready_timeout = 2s;
    HubsimFixture hub(options);
    const int port = hub.https_port();
    hub.stop();
    const int squatter = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(squatter, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(squatter, 1) == 0);
    CHECK_THROWS_WITH_AS(hub.restart(), doctest::Contains("did not become free"),
                         std::runtime_error);
    CHECK_FALSE(hub.running());
    ::close(squatter);
}

TEST_CASE("stop hubsim for a while mid-stream: nothing missing after it returns") {
    constexpr int kDevices = 5;
    constexpr int kPerDevice = 100;
    constexpr int kLastBefore = 40;  // seqs 1..40 before the stop
    constexpr int kLastDuring = 80;  // 41..80 while the hub is down; 81..100 after it returns
    // Reconnect attempts against the closed port: each session's first few (backoff 200 ms..2 s
    // in BridgeEnv's config). They are logged at debug level only.
    constexpr int kFailedReconnects = 3;
    const auto ids = device_ids(kDevices);
    auto options = with_devices(ids);
    options.log_level = "debug";
    BridgeEnv env(options);
    env.start_hubgate();
    LegacyClient devices(env.local_port(), "legacy-fleet");
    REQUIRE(devices.wait_connected());
    auto& hub = env.hub();
    const int mqtts_port = hub.mqtts_port();

    publish_range(devices, kDevices, 1, kLastBefore);
    // What the first hub recorded must be read while it runs, and be complete: a message it
    // records (and acknowledges) after the last read would look lost. So the stop comes at a
    // point where everything published so far has arrived; the stream then goes on.
    const auto before = collect_telemetry(hub, kDevices * kLastBefore, 60s);
    REQUIRE(missing(before, ids, kLastBefore).empty());
    for (const auto& id : ids) {
        REQUIRE(hub.wait_for_connected(id));
    }

    const auto log_at_stop = env.hubgate().output().size();
    const auto stopped = Clock::now();
    hub.stop();
    CHECK_FALSE(accepts_connections(mqtts_port));
    // Every session sees its connection go, then tries again (and again) against a closed port.
    for (const auto& id : ids) {
        CHECK(env.wait_for_log("session " + id + ": connection lost", 20s, log_at_stop));
    }

    publish_range(devices, kDevices, kLastBefore + 1, kLastDuring);
    REQUIRE(devices.wait_acknowledged(kDevices * kLastDuring, 60s));
    // hubgate takes them from the local broker into its spool while the hub is away.
    std::string not_spooled;
    CHECK_MESSAGE(wait_spooled(env.dir().path() / "spool", ids, kLastBefore + 1, kLastDuring, 30s,
                               not_spooled),
                  "not in the spool: " << not_spooled);
    // The hub stays away until every session has failed to reconnect a few times.
    for (const auto& id : ids) {
        CHECK(wait_for_log_count(env, "session " + id + ": connect failed", kFailedReconnects,
                                 log_at_stop, 30s));
    }

    const auto log_at_restart = env.hubgate().output().size();
    const auto restarted = Clock::now();
    MESSAGE("the hub was down for "
            << std::chrono::duration_cast<std::chrono::milliseconds>(restarted - stopped).count()
            << " ms");
    hub.restart();
    REQUIRE(hub.mqtts_port() == mqtts_port);
    for (const auto& id : ids) {
        CHECK(hub.wait_for_connected(id, true, 30s));
        CHECK(env.wait_for_log("session " + id + ": connected", 5s, log_at_restart));
    }
    MESSAGE(
        "all sessions back "
        << std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - restarted).count()
        << " ms after the restart began");

    publish_range(devices, kDevices, kLastDuring + 1, kPerDevice);
    REQUIRE(devices.wait_acknowledged(kDevices * kPerDevice, 60s));

    const auto after = collect_rest(hub, before, ids, kPerDevice, 120s);
    const auto all = merged(before, after);
    const auto absent = missing(all, ids, kPerDevice);
    INFO("first missing: " << first_missing(absent));
    CHECK(absent.empty());
    // A message sent twice (its hub acknowledgement lost in the outage) keeps its $.mid ...
    for (const auto& [message, mids] : all.mids_by_message) {
        CHECK_MESSAGE(mids.size() == 1, message << " arrived with " << mids.size() << " ids");
    }
    // ... and no two messages share one.
    CHECK(all.message_ids.size() == all.distinct_seqs());
    const auto duplicates = all.messages.size() - all.distinct_seqs();
    MESSAGE(duplicates << " duplicates across the outage");
    CHECK(env.stop_hubgate() == 0);
}

TEST_CASE("reported patch and twin request taken during an outage survive kill -9 of hubgate") {
    const std::string id = "plant1-s0";
    BridgeEnv env(with_devices({id}));
    env.start_hubgate();
    LegacyClient device(env.local_port(), "legacy-s0");
    REQUIRE(device.wait_connected());
    REQUIRE(device.subscribe("t/plant1/s0/twin/res/#"));
    REQUIRE(device.publish("t/plant1/s0/telemetry", R"({"seq":1})"));
    auto& hub = env.hub();
    REQUIRE(hub.wait_for_connected(id));

    hub.stop();
    REQUIRE(device.publish("t/plant1/s0/state", R"({"firmware":"9.1"})"));
    REQUIRE(device.publish("t/plant1/s0/twin/get/7", ""));
    // Both are in the spool (the local broker has its PUBACK) before hubgate dies.
    const auto deadline = Clock::now() + 30s;
    std::multiset<std::string> kinds;
    while (Clock::now() < deadline) {
        kinds.clear();
        for_each_spooled(env.dir().path() / "spool", [&](const spool::SpoolMessage& message) {
            kinds.insert(std::string(spool::to_string(message.kind)));
        });
        if (kinds.contains("reported") && kinds.contains("twin-get"))
            break;
        std::this_thread::sleep_for(20ms);  // polling interval of a bounded wait
    }
    REQUIRE(kinds.contains("reported"));
    REQUIRE(kinds.contains("twin-get"));
    env.kill_hubgate();

    hub.restart();
    env.start_hubgate();
    // The restarted hub is a fresh one: the patch it shows came from the spool.
    bool reported = false;
    for (const auto until = Clock::now() + 30s; !reported && Clock::now() < until;) {
        const auto twin = hub.get_twin(id);
        reported = twin.ok() &&
                   twin.body["properties"]["reported"].value("firmware", "") == std::string("9.1");
        if (!reported)
            std::this_thread::sleep_for(200ms);  // polling interval of a bounded wait
    }
    CHECK(reported);
    const auto answer = device.wait_for(
        [](const LegacyMessage& m) { return m.topic == "t/plant1/s0/twin/res/200/7"; }, 30s);
    REQUIRE(answer);
    CHECK(json::parse(answer->payload).contains("reported"));
    CHECK(env.stop_hubgate() == 0);
}

}  // namespace hubgate::test
