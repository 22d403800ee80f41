// A C2D message the hub has handed over (and had acknowledged) survives kill -9 of hubgate
// before the local broker took it: the C2D journal publishes it after the restart, exactly as
// sent, with its properties.
#include <doctest/doctest.h>

#include <filesystem>
#include <thread>

#include "bridge_env.hpp"
#include "gateway/core/downlink_journal.hpp"
#include "harness/process.hpp"
#include "legacy_client.hpp"

namespace hubgate::test {

namespace {

// Waits (bounded) until hubgate's status counts `count` downlinks handed to the local link. A
// C2D message gets there after its PUBACK was written to the hub (on the session manager's
// thread, once the upstream loop's turn that read it is over).
bool wait_for_downlinks(BridgeEnv& env, int count) {
    const std::string hubgate = std::string(HUBGATE_BIN_DIR) + "/hubgate";
    const auto socket = (env.dir().path() / "control.sock").string();
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (std::chrono::steady_clock::now() < deadline) {
        const auto status = run({hubgate, "status", "--socket", socket, "--json"}, 10s);
        const auto parsed = json::parse(status.output, nullptr, false);
        if (status.status == 0 && parsed.is_object() &&
            parsed["counters"].value("downlink_published", 0) >= count) {
            return true;
        }
        std::this_thread::sleep_for(100ms);  // polling interval of a bounded wait, not a delay
    }
    return false;
}

// Waits (bounded) until the hub holds no C2D message for `id`.
bool wait_for_nothing_pending(HubsimFixture& hub, const std::string& id) {
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (std::chrono::steady_clock::now() < deadline) {
        const auto state = hub.c2d_state(id);
        if (state.ok() && state.body.value("pending", -1) == 0) {
            return true;
        }
        std::this_thread::sleep_for(100ms);  // polling interval of a bounded wait, not a delay
    }
    return false;
}

// Waits (bounded) until a copy of the journal at `file`, read as a restart would read it,
// holds nothing to publish again.
bool wait_for_journal_done(const std::filesystem::path& file) {
    const auto copy = std::filesystem::path(file.string() + ".probe");
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (std::chrono::steady_clock::now() < deadline) {
        std::filesystem::copy_file(file, copy, std::filesystem::copy_options::overwrite_existing);
        core::DownlinkJournal::Recovered recovered;
        std::string error;
        if (core::DownlinkJournal::open(copy, recovered, error) && recovered.outstanding.empty()) {
            return true;
        }
        std::this_thread::sleep_for(100ms);  // polling interval of a bounded wait, not a delay
    }
    return false;
}

}  // namespace

TEST_CASE("a C2D message acknowledged to the hub survives kill -9 before the local publish") {
    const std::string id = "plant1-s5";
    auto options = with_devices({id});
    // {properties} shows the message's properties to the legacy device, in its topic.
    const std::string plain = "c2d = \"t/{site}/{sensor}/inbox\"";
    options.mapping.replace(options.mapping.find(plain), plain.size(),
                            "c2d = \"t/{site}/{sensor}/inbox/{properties}\"");
    BridgeEnv env(options);
    env.start_hubgate();
    {
        LegacyClient device(env.local_port(), "legacy-s5-first");
        REQUIRE(device.wait_connected());
        REQUIRE(device.publish("t/plant1/s5/telemetry", R"({"seq":1})"));
        REQUIRE(env.hub().wait_for_connected(id));
    }

    // No local broker: hubgate can take the C2D message from the hub but not publish it.
    env.stop_local_broker();
    REQUIRE(env.wait_for_log("lost the connection to", 20s));
    HubsimC2d c2d;
    c2d.payload = std::string("set eco\0bytes", 13);
    c2d.properties = {{"mode", "eco/night"}};
    c2d.message_id = "durable-1";
    REQUIRE(env.hub().send_c2d(id, c2d).ok());
    // The hub has hubgate's PUBACK: from here on, only hubgate has the message.
    REQUIRE(wait_for_downlinks(env, 1));
    env.kill_hubgate();

    env.start_local_broker();
    LegacyClient device(env.local_port(), "legacy-s5");
    REQUIRE(device.wait_connected());
    REQUIRE(device.subscribe("t/plant1/s5/inbox/#"));
    // The subscription is in place once the device receives its own probe.
    REQUIRE(device.publish("t/plant1/s5/inbox/probe", "probe"));
    REQUIRE(device.wait_for([](const LegacyMessage& m) { return m.payload == "probe"; }));

    env.start_hubgate();
    const auto message = device.wait_for([](const LegacyMessage& m) {
        return m.topic.rfind("t/plant1/s5/inbox/", 0) == 0 && m.payload != "probe";
    });
    REQUIRE(message);
    CHECK(message->payload == c2d.payload);
    CHECK(message->topic.find("mode=eco%2Fnight") != std::string::npos);
    CHECK(message->topic.find("durable-1") != std::string::npos);
    // Once the local broker acknowledged it, the journal notes it done: no third copy later.
    CHECK(wait_for_journal_done(env.dir().path() / "state" / "c2d.journal"));
    // The hub had the PUBACK: it does not deliver the message again (hubsim learns of PUBACKs
    // when the session reconnects).
    REQUIRE(env.hub().wait_for_connected(id));
    CHECK(wait_for_nothing_pending(env.hub(), id));
    CHECK(env.stop_hubgate() == 0);
}

}  // namespace hubgate::test
