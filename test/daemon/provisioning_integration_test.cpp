// Onboarding through DPS, end to end: hubsim with an enrollment group and nothing in its
// registry, hubgate with [provisioning] mode = "dps-symmetric-key", and a legacy device that
// publishes for the first time. Its message waits in the spool while the device is provisioned,
// then reaches the hub; a restart uses the kept assignment instead of registering again. A device
// the hub refuses after it had connected (deleted, disabled) registers again, once per refusal;
// `hubgate provision --device ID` registers a device again by hand.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bridge_env.hpp"
#include "harness/process.hpp"
#include "harness/scratch_dir.hpp"
#include "hub_telemetry.hpp"
#include "legacy_client.hpp"

namespace hubgate::test {

namespace {

int dps_counter(HubsimFixture& hub, const std::string& name) {
    const auto dps = hub.request("GET", "/hubsim/dps");
    REQUIRE(dps.ok());
    return dps.body["counters"][name].get<int>();
}

std::string control_socket(const BridgeEnv& env) {
    return (env.dir().path() / "control.sock").string();
}

// `hubgate ARGS... --socket <the env's control socket>`.
RunResult hubgate_cli(const BridgeEnv& env, std::vector<std::string> args) {
    args.insert(args.begin(), std::string(HUBGATE_BIN_DIR) + "/hubgate");
    args.push_back("--socket");
    args.push_back(control_socket(env));
    return run(args, 150s);
}

nlohmann::json status_json(const BridgeEnv& env) {
    const auto status = hubgate_cli(env, {"status", "--json"});
    REQUIRE(status.status == 0);
    auto document = nlohmann::json::parse(status.output, nullptr, false);
    REQUIRE(document.is_object());
    return document;
}

// One counter of the device's session (`hubgate status --device ID`).
std::uint64_t session_counter(const BridgeEnv& env, const std::string& device,
                              const std::string& name) {
    const auto answer = hubgate_cli(env, {"status", "--device", device, "--json"});
    REQUIRE(answer.status == 0);
    const auto document = nlohmann::json::parse(answer.output, nullptr, false);
    REQUIRE(document.is_object());
    return document["device"]["counters"][name].get<std::uint64_t>();
}

nlohmann::json assignment_file(const BridgeEnv& env, const std::string& device) {
    std::ifstream in(env.dir().path() / "state/provisioning" / (device + ".json"));
    auto document = nlohmann::json::parse(in, nullptr, false);
    REQUIRE(document.is_object());
    return document;
}

// The hubgate.toml BridgeEnv wrote, with `line` added to its [sessions] table.
void add_session_setting(const BridgeEnv& env, const std::string& line) {
    const auto path = env.dir().path() / "hubgate.toml";
    std::ifstream in(path);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto at = text.find("[sessions]\n");
    REQUIRE(at != std::string::npos);
    text.insert(at + 11, line + "\n");
    std::ofstream(path) << text;
}

// Every payload of `messages`, in order.
std::vector<std::string> payloads(const std::vector<nlohmann::json>& messages) {
    std::vector<std::string> out;
    for (const auto& message : messages)
        out.push_back(message["payload"].get<std::string>());
    return out;
}

}  // namespace

TEST_CASE("a device never registered is provisioned through DPS and its first message arrives") {
    BridgeEnvOptions options;
    options.dps_group_key = HubsimFixture::random_key();
    BridgeEnv env(options);
    REQUIRE(env.hub().get_device("plant1-s9").status == 404);
    env.start_hubgate();

    LegacyClient device(env.local_port(), "legacy-s9");
    REQUIRE(device.wait_connected());
    REQUIRE(device.publish("t/plant1/s9/telemetry", R"({"seq":1})"));
    auto messages = env.hub().wait_for_telemetry("plant1-s9", 1, 60s);
    INFO(env.hubgate_output());
    REQUIRE(messages.size() == 1);
    CHECK(messages.front()["payload"] == R"({"seq":1})");
    CHECK(env.hub().get_device("plant1-s9").status == 200);
    CHECK(dps_counter(env.hub(), "assigned") == 1);
    CHECK(std::filesystem::exists(env.dir().path() / "state/provisioning/plant1-s9.json"));
    CHECK(env.hubgate_output().find("provisioning plant1-s9: assigned to") != std::string::npos);

    // `hubgate status` shows the device's provisioning.
    const auto socket = (env.dir().path() / "control.sock").string();
    const auto status = run(
        {std::string(HUBGATE_BIN_DIR) + "/hubgate", "status", "--socket", socket, "--json"}, 30s);
    REQUIRE(status.status == 0);
    const auto document = nlohmann::json::parse(status.output, nullptr, false);
    REQUIRE(document.is_object());
    REQUIRE(document["provisioning"].size() == 1);
    CHECK(document["provisioning"][0]["device_id"] == "plant1-s9");
    CHECK(document["provisioning"][0]["state"] == "assigned");
    CHECK(document["provisioning"][0]["assigned_hub"] == env.hub().hostname());

    // Restarted, hubgate connects the device with the assignment it kept: no second registration.
    CHECK(env.stop_hubgate() == 0);
    env.start_hubgate();
    REQUIRE(device.publish("t/plant1/s9/telemetry", R"({"seq":2})"));
    messages = env.hub().wait_for_telemetry("plant1-s9", 2, 60s);
    REQUIRE(messages.size() == 2);
    CHECK(messages.back()["payload"] == R"({"seq":2})");
    CHECK(dps_counter(env.hub(), "registrations") == 1);
    CHECK(env.stop_hubgate() == 0);
}

}  // namespace hubgate::test

namespace hubgate::test {

TEST_CASE(
    "while DPS cannot be reached a new device's messages wait in the spool, then all arrive") {
    BridgeEnvOptions options;
    options.dps_group_key = HubsimFixture::random_key();
    BridgeEnv env(options);
    env.hub().stop();  // DPS (and the hub) unreachable from hubgate's start on
    env.start_hubgate();
    LegacyClient device(env.local_port(), "legacy-s8");
    REQUIRE(device.wait_connected());
    for (int seq = 1; seq <= 3; ++seq)
        REQUIRE(device.publish("t/plant1/s8/telemetry", "{\"seq\":" + std::to_string(seq) + "}"));
    // Taken from the local broker: from here on only hubgate's spool holds them.
    REQUIRE(device.wait_acknowledged(3, 30s));
    INFO(env.hubgate_output());
    // The registration fails and waits for its next try.
    nlohmann::json provisioning;
    for (int i = 0; i < 300; ++i) {
        provisioning = status_json(env)["provisioning"];
        if (provisioning.size() == 1 && provisioning[0]["state"] == "error")
            break;
        std::this_thread::sleep_for(100ms);
    }
    REQUIRE(provisioning.size() == 1);
    CHECK(provisioning[0]["state"] == "error");

    env.hub().restart();
    const auto messages = env.hub().wait_for_telemetry("plant1-s8", 3, 60s);
    CHECK(payloads(messages) ==
          std::vector<std::string>{R"({"seq":1})", R"({"seq":2})", R"({"seq":3})"});
    CHECK(env.hub().get_device("plant1-s8").status == 200);
    CHECK(env.stop_hubgate() == 0);
}

TEST_CASE("a provisioned device the hub no longer knows is provisioned again, once per refusal") {
    BridgeEnvOptions options;
    options.dps_group_key = HubsimFixture::random_key();
    BridgeEnv env(options);
    env.start_hubgate();
    LegacyClient device(env.local_port(), "legacy-s7");
    REQUIRE(device.wait_connected());
    REQUIRE(device.publish("t/plant1/s7/telemetry", R"({"seq":1})"));
    REQUIRE(env.hub().wait_for_telemetry("plant1-s7", 1, 60s).size() == 1);
    CHECK(status_json(env)["counters"]["provisioning_reprovisions"] == 0);

    // Deleted from the registry and disconnected: the hub refuses its next CONNECT (CONNACK 5).
    // What the device publishes meanwhile waits in the spool.
    REQUIRE(env.hub().delete_device("plant1-s7").ok());
    env.hub().kick("plant1-s7");
    for (int seq = 2; seq <= 4; ++seq)
        REQUIRE(device.publish("t/plant1/s7/telemetry", R"({"seq":)" + std::to_string(seq) + "}"));
    auto messages = env.hub().wait_for_telemetry("plant1-s7", 4, 60s);
    INFO(env.hubgate_output());
    CHECK(payloads(messages) ==
          std::vector<std::string>{R"({"seq":1})", R"({"seq":2})", R"({"seq":3})", R"({"seq":4})"});
    CHECK(dps_counter(env.hub(), "registrations") == 2);
    CHECK(env.hub().get_device("plant1-s7").status == 200);  // DPS created it again
    CHECK(env.hubgate_output().find("the hub refused the device it was assigned as") !=
          std::string::npos);
    CHECK(status_json(env)["counters"]["provisioning_reprovisions"] == 1);

    // It connected with the new assignment: deleted once more, it registers once more (a new
    // episode, however soon after the last one).
    REQUIRE(env.hub().delete_device("plant1-s7").ok());
    env.hub().kick("plant1-s7");
    REQUIRE(device.publish("t/plant1/s7/telemetry", R"({"seq":5})"));
    messages = env.hub().wait_for_telemetry("plant1-s7", 5, 60s);
    REQUIRE(messages.size() == 5);
    CHECK(messages.back()["payload"] == R"({"seq":5})");
    CHECK(dps_counter(env.hub(), "registrations") == 3);
    CHECK(status_json(env)["counters"]["provisioning_reprovisions"] == 2);
    CHECK(env.stop_hubgate() == 0);
}

TEST_CASE(
    "a device its hub still refuses after DPS assigned it again is not registered in a loop") {
    BridgeEnvOptions options;
    options.dps_group_key = HubsimFixture::random_key();
    BridgeEnv env(options);
    // Refused sessions try again after a second (then 2, 4...): a loop would show at once.
    add_session_setting(env, "refused_backoff = \"1s\"");
    env.start_hubgate();
    LegacyClient device(env.local_port(), "legacy-s6");
    REQUIRE(device.wait_connected());
    REQUIRE(device.publish("t/plant1/s6/telemetry", R"({"seq":1})"));
    REQUIRE(env.hub().wait_for_telemetry("plant1-s6", 1, 60s).size() == 1);

    // Disabled in the hub: refused (CONNACK 5), registered again once; DPS keeps the device
    // disabled, so the hub refuses the new assignment too, and the device waits.
    auto identity = env.hub().get_device("plant1-s6").body;
    identity["status"] = "disabled";
    REQUIRE(env.hub().put_device("plant1-s6", identity).ok());
    env.hub().kick("plant1-s6");
    REQUIRE(device.publish("t/plant1/s6/telemetry", R"({"seq":2})"));
    INFO(env.hubgate_output());
    for (int i = 0; i < 1200 && dps_counter(env.hub(), "registrations") < 2; ++i)
        std::this_thread::sleep_for(50ms);
    REQUIRE(dps_counter(env.hub(), "registrations") == 2);
    // Refused again after that (each refusal a chance to loop), still one registration more.
    const auto refusals = session_counter(env, "plant1-s6", "refusals");
    for (int i = 0; i < 600 && session_counter(env, "plant1-s6", "refusals") < refusals + 2; ++i)
        std::this_thread::sleep_for(50ms);
    CHECK(session_counter(env, "plant1-s6", "refusals") >= refusals + 2);
    CHECK(dps_counter(env.hub(), "registrations") == 2);
    CHECK(env.hubgate_output().find("the hub refuses the device with the assignment DPS gave it, "
                                    "and has never accepted it") != std::string::npos);

    // Enabled again: the device connects with the assignment it has, and nothing was lost.
    identity = env.hub().get_device("plant1-s6").body;
    identity["status"] = "enabled";
    REQUIRE(env.hub().put_device("plant1-s6", identity).ok());
    const auto messages = env.hub().wait_for_telemetry("plant1-s6", 2, 60s);
    CHECK(payloads(messages) == std::vector<std::string>{R"({"seq":1})", R"({"seq":2})"});
    CHECK(dps_counter(env.hub(), "registrations") == 2);
    CHECK(status_json(env)["counters"]["provisioning_reprovisions"] == 1);
    CHECK(env.stop_hubgate() == 0);
}

TEST_CASE("a device its hub never accepted is not registered again after a restart either") {
    BridgeEnvOptions options;
    options.dps_group_key = HubsimFixture::random_key();
    BridgeEnv env(options);
    add_session_setting(env, "refused_backoff = \"1s\"");
    // Disabled in the hub before DPS assigns it: DPS keeps it disabled, the hub refuses it.
    REQUIRE(env.hub()
                .put_device("plant1-s3", {{"deviceId", "plant1-s3"}, {"status", "disabled"}})
                .ok());
    env.start_hubgate();
    LegacyClient device(env.local_port(), "legacy-s3");
    REQUIRE(device.wait_connected());
    REQUIRE(device.publish("t/plant1/s3/telemetry", R"({"seq":1})"));
    const std::string never_accepted =
        "the hub refuses the device with the assignment DPS gave it, and has never accepted it";
    INFO(env.hubgate_output());
    REQUIRE(env.wait_for_log(never_accepted, 60s));
    CHECK(assignment_file(env, "plant1-s3")["acceptedByHub"] == false);
    CHECK(dps_counter(env.hub(), "registrations") == 1);

    // Restarted, hubgate knows from the kept assignment that the hub never accepted the device:
    // its refusals are the ordinary refused path, with no registration.
    CHECK(env.stop_hubgate() == 0);
    env.start_hubgate();
    REQUIRE(device.publish("t/plant1/s3/telemetry", R"({"seq":2})"));
    REQUIRE(env.wait_for_log(never_accepted, 60s));
    const auto refusals = session_counter(env, "plant1-s3", "refusals");
    for (int i = 0; i < 600 && session_counter(env, "plant1-s3", "refusals") < refusals + 1; ++i)
        std::this_thread::sleep_for(50ms);
    CHECK(session_counter(env, "plant1-s3", "refusals") >= refusals + 1);
    CHECK(dps_counter(env.hub(), "registrations") == 1);

    // Enabled: it connects with the assignment it has, nothing lost, and its file says so.
    auto identity = env.hub().get_device("plant1-s3").body;
    identity["status"] = "enabled";
    REQUIRE(env.hub().put_device("plant1-s3", identity).ok());
    const auto messages = env.hub().wait_for_telemetry("plant1-s3", 2, 60s);
    CHECK(payloads(messages) == std::vector<std::string>{R"({"seq":1})", R"({"seq":2})"});
    for (int i = 0; i < 200 && assignment_file(env, "plant1-s3")["acceptedByHub"] != true; ++i)
        std::this_thread::sleep_for(50ms);
    CHECK(assignment_file(env, "plant1-s3")["acceptedByHub"] == true);
    CHECK(dps_counter(env.hub(), "registrations") == 1);
    CHECK(env.stop_hubgate() == 0);
}

TEST_CASE("hubgate provision registers a device again and its session reconnects with it") {
    BridgeEnvOptions options;
    options.dps_group_key = HubsimFixture::random_key();
    BridgeEnv env(options);
    env.start_hubgate();
    LegacyClient device(env.local_port(), "legacy-s5");
    REQUIRE(device.wait_connected());
    REQUIRE(device.publish("t/plant1/s5/telemetry", R"({"seq":1})"));
    REQUIRE(env.hub().wait_for_telemetry("plant1-s5", 1, 60s).size() == 1);
    const auto before = assignment_file(env, "plant1-s5");
    CHECK(before["substatus"] == "initialAssignment");
    REQUIRE(session_counter(env, "plant1-s5", "connects") == 1);

    const auto provisioned = hubgate_cli(env, {"provision", "--device", "plant1-s5"});
    INFO(provisioned.output);
    INFO(env.hubgate_output());
    CHECK(provisioned.status == 0);
    CHECK(provisioned.output ==
          "plant1-s5: assigned to " + env.hub().hostname() + " as plant1-s5\n");
    CHECK(dps_counter(env.hub(), "registrations") == 2);
    const auto after = assignment_file(env, "plant1-s5");
    CHECK(after["etag"] != before["etag"]);
    CHECK(after["substatus"] == "deviceDataMigrated");
    CHECK(env.hubgate_output().find("registering it again, as asked (hubgate provision)") !=
          std::string::npos);

    // The session connects again with the new assignment, and the device's messages go on.
    for (int i = 0; i < 400 && session_counter(env, "plant1-s5", "connects") < 2; ++i)
        std::this_thread::sleep_for(50ms);
    CHECK(session_counter(env, "plant1-s5", "connects") == 2);
    REQUIRE(device.publish("t/plant1/s5/telemetry", R"({"seq":2})"));
    const auto messages = env.hub().wait_for_telemetry("plant1-s5", 2, 60s);
    CHECK(payloads(messages) == std::vector<std::string>{R"({"seq":1})", R"({"seq":2})"});
    CHECK(status_json(env)["counters"]["provisioning_reprovisions"] == 1);

    // --json prints the daemon's answer.
    const auto as_json = hubgate_cli(env, {"provision", "--device", "plant1-s5", "--json"});
    CHECK(as_json.status == 0);
    const auto document = nlohmann::json::parse(as_json.output, nullptr, false);
    REQUIRE(document.is_object());
    CHECK(document["provisioning"]["state"] == "assigned");
    CHECK(document["provisioning"]["attempts"] == 3);

    // A device the daemon never provisioned is an error, and nothing is registered.
    const auto unknown = hubgate_cli(env, {"provision", "--device", "plant9-s1"});
    CHECK(unknown.status == 1);
    CHECK(unknown.output.find("no device 'plant9-s1' here") != std::string::npos);
    CHECK(dps_counter(env.hub(), "registrations") == 3);
    CHECK(env.stop_hubgate() == 0);

    // No daemon: exit 3, as `hubgate status`.
    const auto stopped = hubgate_cli(env, {"provision", "--device", "plant1-s5"});
    CHECK(stopped.status == 3);
    CHECK(stopped.output.find("is the hubgate service running?") != std::string::npos);
}

TEST_CASE("dps-x509: a new device gets a leaf from the gateway's CA, registers with it and sends") {
    BridgeEnvOptions options;
    options.dps_x509 = true;
    BridgeEnv env(options);
    REQUIRE(env.hub().get_device("plant1-x1").status == 404);
    env.start_hubgate();
    LegacyClient device(env.local_port(), "legacy-x1");
    REQUIRE(device.wait_connected());
    REQUIRE(device.publish("t/plant1/x1/telemetry", R"({"seq":1})"));
    // Registered through DPS with the leaf, then connected to the hub with it.
    const auto messages = env.hub().wait_for_telemetry("plant1-x1", 1, 60s);
    CHECK(payloads(messages) == std::vector<std::string>{R"({"seq":1})"});
    const auto registered = env.hub().get_device("plant1-x1");
    REQUIRE(registered.status == 200);
    CHECK(registered.body["authentication"]["type"] == "certificateAuthority");
    CHECK(dps_counter(env.hub(), "assigned") == 1);
    // The leaf and its key are kept private in the state folder, and reused after a restart.
    const auto leaf = env.dir().path() / "state/certificates/plant1-x1.pem";
    const auto key = env.dir().path() / "state/certificates/plant1-x1.key";
    REQUIRE(std::filesystem::exists(leaf));
    const auto owner_only =
        std::filesystem::perms::owner_read | std::filesystem::perms::owner_write;
    CHECK((std::filesystem::status(key).permissions() & std::filesystem::perms::all) == owner_only);
    CHECK((std::filesystem::status(leaf).permissions() & std::filesystem::perms::all) ==
          owner_only);
    const auto first_leaf = read_file(leaf);
    CHECK(env.stop_hubgate() == 0);
    CHECK(env.hubgate_output().find("PRIVATE KEY") == std::string::npos);
    env.start_hubgate();
    REQUIRE(device.publish("t/plant1/x1/telemetry", R"({"seq":2})"));
    CHECK(env.hub().wait_for_telemetry("plant1-x1", 2, 60s).size() == 2);
    CHECK(read_file(leaf) == first_leaf);
    CHECK(dps_counter(env.hub(), "assigned") == 1);  // the kept assignment, no registration
    CHECK(env.stop_hubgate() == 0);
}

TEST_CASE("hubgate provision against a daemon that does not provision devices says so") {
    BridgeEnv env(with_devices({"plant1-s4"}));
    env.start_hubgate();
    const auto answer = hubgate_cli(env, {"provision", "--device", "plant1-s4"});
    CHECK(answer.status == 1);
    CHECK(answer.output.find("does not provision devices") != std::string::npos);
    CHECK(env.stop_hubgate() == 0);
}

}  // namespace hubgate::test

namespace hubgate::test {

namespace {

const std::string kSecondHub = "plant-b.azure-devices.net";

// The device-to-cloud messages of `device` recorded by the hub `hub_hostname` of hubsim (its
// telemetry API, reached with a token for that hub), waiting up to a minute for `count`.
std::vector<nlohmann::json> hub_messages(HubsimFixture& hub, const std::string& hub_hostname,
                                         const std::string& device, std::size_t count) {
    std::vector<nlohmann::json> seen;
    uint64_t after = 0;
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (seen.size() < count && std::chrono::steady_clock::now() < deadline) {
        const auto reply = hub.request(
            "GET", "/hubsim/telemetry?wait=2&after=" + std::to_string(after) + "&device=" + device,
            std::nullopt, hub.service_token_for(hub_hostname));
        REQUIRE(reply.status == 200);
        for (const auto& message : reply.body["messages"]) {
            seen.push_back(message);
            after = std::max(after, message["sequence"].get<uint64_t>());
        }
    }
    return seen;
}

}  // namespace

TEST_CASE("devices DPS spreads over two hubs each connect to their own hub, from one daemon") {
    BridgeEnvOptions options;
    options.dps_group_key = HubsimFixture::random_key();
    options.second_hub = kSecondHub;
    BridgeEnv env(options);
    const std::string first_hub = env.hub().hostname();
    // The hashed allocation is deterministic (docs/hubsim-dps.md): s1 lands on the first hub,
    // s2..s4 on the second.
    const std::map<std::string, std::string> expected{{"plant1-s1", first_hub},
                                                      {"plant1-s2", kSecondHub},
                                                      {"plant1-s3", kSecondHub},
                                                      {"plant1-s4", kSecondHub}};
    env.start_hubgate();
    std::vector<std::unique_ptr<LegacyClient>> devices;
    for (const auto& [id, hub] : expected) {
        const auto sensor = id.substr(id.find('-') + 1);
        devices.push_back(std::make_unique<LegacyClient>(env.local_port(), "legacy-" + sensor));
        REQUIRE(devices.back()->wait_connected());
        REQUIRE(devices.back()->publish("t/plant1/" + sensor + "/telemetry", R"({"seq":1})"));
    }
    for (const auto& [id, hub] : expected) {
        CAPTURE(id);
        INFO(env.hubgate_output());
        const auto other = hub == first_hub ? kSecondHub : first_hub;
        const auto messages = hub_messages(env.hub(), hub, id, 1);
        REQUIRE(messages.size() == 1);
        CHECK(messages.front()["payload"] == R"({"seq":1})");
        // Registered in its own hub's registry only; nothing reached the other hub.
        CHECK(env.hub()
                  .request("GET", "/devices/" + id, std::nullopt, env.hub().service_token_for(hub))
                  .status == 200);
        CHECK(
            env.hub()
                .request("GET", "/devices/" + id, std::nullopt, env.hub().service_token_for(other))
                .status == 404);
        const auto elsewhere = env.hub().request("GET", "/hubsim/telemetry?device=" + id,
                                                 std::nullopt, env.hub().service_token_for(other));
        REQUIRE(elsewhere.status == 200);
        CHECK(elsewhere.body["messages"].empty());
    }
    // `hubgate status` names each device's hub.
    const auto status = status_json(env);
    REQUIRE(status["provisioning"].size() == expected.size());
    for (const auto& device : status["provisioning"])
        CHECK(device["assigned_hub"] == expected.at(device["device_id"].get<std::string>()));

    // Restarted, hubgate connects each device to its hub with the kept assignment.
    CHECK(env.stop_hubgate() == 0);
    env.start_hubgate();
    for (std::size_t i = 0; i < devices.size(); ++i) {
        const auto sensor = "s" + std::to_string(i + 1);
        REQUIRE(devices[i]->publish("t/plant1/" + sensor + "/telemetry", R"({"seq":2})"));
    }
    for (const auto& [id, hub] : expected) {
        CAPTURE(id);
        const auto messages = hub_messages(env.hub(), hub, id, 2);
        REQUIRE(messages.size() == 2);
        CHECK(messages.back()["payload"] == R"({"seq":2})");
    }
    CHECK(dps_counter(env.hub(), "registrations") == static_cast<int>(expected.size()));
    // With kept assignments, each session names its hub (`hubgate status --device`).
    for (const auto& [id, hub] : expected) {
        const auto answer = hubgate_cli(env, {"status", "--device", id, "--json"});
        REQUIRE(answer.status == 0);
        CHECK(nlohmann::json::parse(answer.output)["device"]["hub"] == hub);
    }
    CHECK(env.stop_hubgate() == 0);
}

}  // namespace hubgate::test
