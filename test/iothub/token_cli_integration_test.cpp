// `hubgate token` against tokens computed by python3's hmac/base64/urllib (independent_sas.py).
#include <doctest/doctest.h>

#include <regex>
#include <string>

#include "harness/binaries.hpp"
#include "harness/process.hpp"
#include "harness/scratch_dir.hpp"

using hubgate::test::kHubgate;
using hubgate::test::run;

namespace {
const std::string kPython = "/usr/bin/env";
const std::string kScript = std::string(HUBGATE_SOURCE_DIR) + "/test/iothub/independent_sas.py";
const std::string kKey = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

std::string trim(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r'))
        s.pop_back();
    return s;
}

std::string expiry_of(const std::string& token) {
    std::smatch m;
    REQUIRE(std::regex_search(token, m, std::regex("&se=([0-9]+)")));
    return m[1];
}

void check_against_python(const std::vector<std::string>& extra_args, const std::string& device,
                          const std::string& policy = {}) {
    std::vector<std::string> argv = {kHubgate,   "token", "--hub", "myhub.azure-devices.net",
                                     "--device", device};
    argv.insert(argv.end(), extra_args.begin(), extra_args.end());
    auto ours = run(argv);
    REQUIRE(ours.status == 0);
    std::string token = trim(ours.output);
    std::vector<std::string> py = {kPython, "python3", kScript,         "myhub.azure-devices.net",
                                   device,  kKey,      expiry_of(token)};
    if (!policy.empty())
        py.push_back(policy);
    auto theirs = run(py);
    REQUIRE(theirs.status == 0);
    CHECK(token == trim(theirs.output));
}
}  // namespace

TEST_CASE("device token matches an independent HMAC computation") {
    check_against_python({"--key", kKey}, "sensor-1");
}

TEST_CASE("policy token matches and carries skn") {
    check_against_python({"--key", kKey, "--policy", "device"}, "sensor-1", "device");
}

TEST_CASE("device id with characters that need encoding") {
    check_against_python({"--key", kKey, "--ttl", "30m"}, "plant 1/line:2@$(x)");
}

TEST_CASE("key from a file, trailing newline ignored") {
    hubgate::test::ScratchDir dir;
    auto key_file = dir.write("device.key", kKey + "\n");
    check_against_python({"--key-file", key_file.string()}, "sensor-2");
}

TEST_CASE("ttl sets the expiry") {
    auto before = std::time(nullptr);
    auto r = run({kHubgate, "token", "--hub", "h", "--device", "d", "--key", kKey, "--ttl", "2h"});
    REQUIRE(r.status == 0);
    auto se = std::stoll(expiry_of(trim(r.output)));
    CHECK(se >= before + 7200);
    CHECK(se <= std::time(nullptr) + 7200);
}

TEST_CASE("invalid base64 key: clear error, exit 2, nothing on stdout") {
    auto r = run({kHubgate, "token", "--hub", "h", "--device", "d", "--key", "not*base64"});
    CHECK(r.status == 2);
    CHECK(r.output.find("key is not valid base64") != std::string::npos);
    CHECK(r.output.find("SharedAccessSignature") == std::string::npos);
}

TEST_CASE("usage errors exit 2") {
    CHECK(run({kHubgate, "token", "--hub", "h", "--device", "d"}).status == 2);
    CHECK(run({kHubgate, "token", "--hub", "h", "--device", "d", "--key", kKey, "--key-file", "/x"})
              .status == 2);
    CHECK(run({kHubgate, "token", "--hub", "h", "--device", "d", "--key", kKey, "--ttl", "soon"})
              .status == 2);
    CHECK(run({kHubgate, "token", "--bogus"}).status == 2);
}

TEST_CASE("verbose logging never shows the signature") {
    auto r = run({kHubgate, "token", "--hub", "h", "--device", "d", "--key", kKey, "--verbose"});
    REQUIRE(r.status == 0);
    // stdout and stderr are merged: the token line itself holds the signature once; the debug
    // log line must not repeat it.
    std::smatch m;
    REQUIRE(std::regex_search(r.output, m, std::regex("sig=([^&\\s]+)")));
    std::string sig = m[1];
    auto first = r.output.find(sig);
    CHECK(r.output.find(sig, first + 1) == std::string::npos);
    CHECK(r.output.find("token for h/devices/d: SharedAccessSignature sr=") != std::string::npos);
}
