// Microsoft's official Azure IoT provisioning SDK for Node.js (azure-iot-provisioning-device +
// azure-iot-provisioning-device-mqtt + azure-iot-security-symmetric-key or
// azure-iot-security-x509, pinned in package-lock.json), unmodified, against hubsim's DPS:
// registration with a key derived from a group enrollment key, or with a leaf certificate an
// X.509 group's CA issued; then the official device client on the assigned hub sends telemetry.
#include <doctest/doctest.h>

#include <filesystem>

#include "harness/process.hpp"
#include "harness/scratch_dir.hpp"
#include "harness/test_pki.hpp"
#include "hubsim_fixture/hubsim_fixture.hpp"

namespace {

using namespace hubgate::test;
namespace fs = std::filesystem;

const fs::path kSdkScripts = fs::path(HUBGATE_SOURCE_DIR) / "test" / "sdk";
const std::string kScope = "0ne0000SDK1";

// What both cases check once the script ran: it finished, its device was assigned to hubsim's hub
// under its registration id, the hub's registry holds it, and its one message arrived with
// `payload`. Returns the registry entry.
HubsimResponse check_provisioned_and_sent(Process& node, const HubsimFixture& hub,
                                          const std::string& registration_id,
                                          const std::string& payload) {
    const bool done = node.wait_for_output("SDK done", 60s);
    const auto output = node.output();
    CAPTURE(output);
    REQUIRE(done);
    CHECK(output.find("SDK registered {\"assignedHub\":\"" + hub.hostname() + "\",\"deviceId\":\"" +
                      registration_id +
                      "\",\"status\":\"assigned\",\"substatus\":\"initialAssignment\"}") !=
          std::string::npos);
    auto device = hub.get_device(registration_id);
    CHECK(device.status == 200);
    const auto messages = hub.wait_for_telemetry(registration_id, 1);
    REQUIRE(messages.size() == 1);
    CHECK(messages[0]["payload"] == payload);
    CHECK(node.wait_exit(20s) == 0);
    return device;
}

}  // namespace

TEST_CASE("the official provisioning SDK registers through hubsim's DPS and its device sends") {
    REQUIRE_MESSAGE(fs::exists(kSdkScripts / "node_modules" / "azure-iot-provisioning-device"),
                    "run `npm ci` in test/sdk (scripts/install-deps.sh does)");
    const auto group_key = HubsimFixture::random_key();
    HubsimOptions options;
    options.extra_toml = "[dps]\nid_scope = \"" + kScope +
                         "\"\n\n[[enrollment_groups]]\nid = \"sdk-group\"\nprimary_key = \"" +
                         group_key + "\"\n";
    HubsimFixture hub(options);
    Process node({NODE_EXECUTABLE, (kSdkScripts / "provisioning_sdk_check.js").string()},
                 {{"HUBSIM_DPS_HOST", "127.0.0.1:" + std::to_string(hub.dps_port())},
                  {"HUBSIM_ID_SCOPE", kScope},
                  {"HUBSIM_REGISTRATION_ID", "sdk-device-1"},
                  {"HUBSIM_GROUP_KEY", group_key},
                  {"HUBSIM_GATEWAY", "127.0.0.1:" + std::to_string(hub.mqtts_port())},
                  {"NODE_EXTRA_CA_CERTS", hub.ca_file().string()}},
                 kSdkScripts.string());
    check_provisioned_and_sent(node, hub, "sdk-device-1", "{\"provisioned\":true}");
}

TEST_CASE(
    "the official provisioning SDK registers with an X.509 group's leaf and its device "
    "sends") {
    REQUIRE_MESSAGE(fs::exists(kSdkScripts / "node_modules" / "azure-iot-security-x509"),
                    "run `npm ci` in test/sdk (scripts/install-deps.sh does)");
    ScratchDir dir("sdk-x509");
    TestPki pki(dir.path() / "pki");
    pki.make_ca("group-ca", "SDK group CA");
    pki.issue("sdk-x509-1", "group-ca", "sdk-x509-1");
    HubsimOptions options;
    options.extra_toml = "[dps]\nid_scope = \"" + kScope +
                         "\"\n\n[[enrollment_groups]]\nid = \"sdk-cameras\"\n"
                         "certificate_file = \"" +
                         pki.cert("group-ca").string() + "\"\n";
    HubsimFixture hub(options);
    Process node({NODE_EXECUTABLE, (kSdkScripts / "provisioning_x509_sdk_check.js").string()},
                 {{"HUBSIM_DPS_HOST", "127.0.0.1:" + std::to_string(hub.dps_x509_port())},
                  {"HUBSIM_ID_SCOPE", kScope},
                  {"HUBSIM_REGISTRATION_ID", "sdk-x509-1"},
                  {"HUBSIM_CERT_FILE", pki.cert("sdk-x509-1").string()},
                  {"HUBSIM_KEY_FILE", pki.key("sdk-x509-1").string()},
                  {"HUBSIM_GATEWAY", "127.0.0.1:" + std::to_string(hub.x509_port())},
                  {"NODE_EXTRA_CA_CERTS", hub.ca_file().string()}},
                 kSdkScripts.string());
    const auto device =
        check_provisioned_and_sent(node, hub, "sdk-x509-1", "{\"provisioned\":\"x509\"}");
    CHECK(device.body["authentication"]["type"] == "certificateAuthority");
}
