// The control socket end to end: a ControlServer with a fake snapshot callback, the client, and
// the built `hubgate status` binary.
#include <doctest/doctest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <fstream>

#include "gateway/control/control_client.hpp"
#include "gateway/control/control_server.hpp"
#include "harness/binaries.hpp"
#include "harness/process.hpp"
#include "harness/scratch_dir.hpp"

using namespace hubgate::control;
using namespace hubgate::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

SessionStatus fake_session(std::string id, std::string state, std::optional<WallTime> since,
                           std::optional<WallTime> backoff_until, std::string reason) {
    SessionStatus session;
    session.device_id = std::move(id);
    session.state = std::move(state);
    session.since = since;
    session.backoff_until = backoff_until;
    session.reason = std::move(reason);
    return session;
}

StatusSnapshot fake_snapshot(std::uint64_t routed) {
    StatusSnapshot snapshot;
    snapshot.sessions.push_back(fake_session(
        "line-1", "connected", WallTime{} + std::chrono::seconds(1795694400), std::nullopt, ""));
    snapshot.sessions.push_back(fake_session("meter-7", "backing-off", std::nullopt,
                                             WallTime{} + std::chrono::seconds(1795694460),
                                             "connection refused"));
    snapshot.counters = {{"messages_routed", routed}, {"reconnects", 2}};
    return snapshot;
}

// Sends raw bytes and returns the raw answer (for requests the client never makes).
std::string raw_exchange(const fs::path& path, const std::string& request) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strcpy(address.sun_path, path.c_str());
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    if (!request.empty())
        REQUIRE(::send(fd, request.data(), request.size(), MSG_NOSIGNAL) > 0);
    ::shutdown(fd, SHUT_WR);
    std::string answer;
    char buffer[4096];
    ssize_t n;
    while ((n = ::recv(fd, buffer, sizeof buffer, 0)) > 0)
        answer.append(buffer, static_cast<std::size_t>(n));
    ::close(fd);
    return answer;
}

}  // namespace

TEST_CASE("a status request returns the callback's current snapshot") {
    ScratchDir dir("hubgate-control");
    const fs::path path = dir.path() / "control.sock";
    std::atomic<std::uint64_t> routed{5};
    ControlServer server([&] { return fake_snapshot(routed.load()); });
    REQUIRE_FALSE(server.start(path).has_value());
    CHECK_FALSE(server.socket_activated());

    auto reply = request_status(path);
    REQUIRE(reply.outcome == StatusReply::Outcome::Ok);
    CHECK(reply.json["sessions"].size() == 2);
    CHECK(reply.json["sessions"][1]["reason"] == "connection refused");
    CHECK(reply.json["counters"]["messages_routed"] == 5);

    routed = 6;
    CHECK(request_status(path).json["counters"]["messages_routed"] == 6);
}

TEST_CASE("the socket is mode 0660 and goes away with the server") {
    ScratchDir dir("hubgate-control");
    const fs::path path = dir.path() / "control.sock";
    {
        ControlServer server([] { return fake_snapshot(0); });
        ::umask(0077);  // as the unit sets it: the server must still open the socket to the group
        auto error = server.start(path);
        ::umask(0022);
        REQUIRE_FALSE(error.has_value());
        struct stat info {};
        REQUIRE(::stat(path.c_str(), &info) == 0);
        CHECK(S_ISSOCK(info.st_mode));
        CHECK((info.st_mode & 0777) == 0660);
    }
    CHECK_FALSE(fs::exists(fs::symlink_status(path)));
}

TEST_CASE("a stale socket is replaced, a live one or another file is not") {
    ScratchDir dir("hubgate-control");
    const fs::path path = dir.path() / "control.sock";
    {
        // A socket file nobody listens on any more, as a killed daemon leaves it.
        int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        std::strcpy(address.sun_path, path.c_str());
        REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
        ::close(fd);
    }
    ControlServer first([] { return fake_snapshot(1); });
    REQUIRE_FALSE(first.start(path).has_value());
    CHECK(request_status(path).outcome == StatusReply::Outcome::Ok);

    ControlServer second([] { return fake_snapshot(2); });
    auto error = second.start(path);
    REQUIRE(error.has_value());
    CHECK(error->find("already running") != std::string::npos);
    CHECK(request_status(path).json["counters"]["messages_routed"] == 1);  // first still serves

    const fs::path file = dir.write("not-a-socket", "keep me");
    ControlServer third([] { return fake_snapshot(3); });
    auto refused = third.start(file);
    REQUIRE(refused.has_value());
    CHECK(refused->find("not a socket") != std::string::npos);
    CHECK(read_file(file) == "keep me");
}

TEST_CASE("bad requests and a failing callback get an error answer, and the server goes on") {
    ScratchDir dir("hubgate-control");
    const fs::path path = dir.path() / "control.sock";
    std::atomic<bool> fail{false};
    ControlServer server([&] {
        if (fail)
            throw std::runtime_error("session manager busy");
        auto snapshot = fake_snapshot(1);
        snapshot.sessions[0].device_id = "bad\xff-utf8";
        return snapshot;
    });
    REQUIRE_FALSE(server.start(path).has_value());

    auto unknown = nlohmann::json::parse(raw_exchange(path, "shutdown\n"));
    CHECK(unknown["error"].get<std::string>().find("unknown request") != std::string::npos);
    auto empty = nlohmann::json::parse(raw_exchange(path, ""));
    CHECK(empty.contains("error"));

    // Invalid UTF-8 from a device id is replaced, not a failed answer.
    auto reply = request_status(path);
    REQUIRE(reply.outcome == StatusReply::Outcome::Ok);
    CHECK(reply.json["sessions"][0]["device_id"].get<std::string>().starts_with("bad"));

    fail = true;
    auto failed = request_status(path);
    CHECK(failed.outcome == StatusReply::Outcome::Failed);
    CHECK(failed.error.find("session manager busy") != std::string::npos);
    fail = false;
    CHECK(request_status(path).outcome == StatusReply::Outcome::Ok);
}

TEST_CASE("hubgate status prints the table and the JSON") {
    ScratchDir dir("hubgate-control");
    const fs::path path = dir.path() / "control.sock";
    ControlServer server([] { return fake_snapshot(41); });
    REQUIRE_FALSE(server.start(path).has_value());

    auto table = run({kHubgate, "status", "--socket", path.string()}, 30s);
    CHECK(table.status == 0);
    CHECK(table.output.find("DEVICE   STATE") == 0);
    CHECK(table.output.find("meter-7  backing-off  -") != std::string::npos);
    CHECK(table.output.find("2 sessions: 1 backing-off, 1 connected") != std::string::npos);
    CHECK(table.output.find("messages_routed  41") != std::string::npos);

    auto json = run({kHubgate, "status", "--socket", path.string(), "--json"}, 30s);
    CHECK(json.status == 0);
    auto parsed = nlohmann::json::parse(json.output);
    CHECK(parsed["counters"]["messages_routed"] == 41);
    CHECK(parsed["sessions"][0]["since"] == "2026-11-26T12:00:00Z");

    // With -c the socket comes from [control] socket in the config file; the file need not pass
    // every check (here: no [hub] at all) to name its socket.
    auto config = dir.write("hubgate.toml", "[control]\nsocket = \"" + path.string() + "\"\n");
    auto from_config = run({kHubgate, "status", "-c", config.string(), "--json"}, 30s);
    CHECK(from_config.status == 0);
    CHECK(from_config.output.find("\"messages_routed\": 41") != std::string::npos);
}

TEST_CASE("hubgate status without a running daemon says so and exits 3") {
    ScratchDir dir("hubgate-control");
    auto result = run({kHubgate, "status", "--socket", (dir.path() / "none.sock").string()}, 30s);
    CHECK(result.status == 3);
    CHECK(result.output.find("is the hubgate service running?") != std::string::npos);

    auto usage = run({kHubgate, "status", "--socket", "a", "-c", "b"}, 30s);
    CHECK(usage.status == 2);
    auto missing_config = run({kHubgate, "status", "-c", (dir.path() / "no.toml").string()}, 30s);
    CHECK(missing_config.status == 2);
}

TEST_CASE("a socket passed by systemd socket activation is used as it is") {
    ScratchDir dir("hubgate-control");
    const fs::path path = dir.path() / "control.sock";
    // systemd-socket-activate listens, and starts the probe with the socket on the first
    // connection, the way hubgate.socket starts hubgate.service.
    Process activator({"/usr/bin/systemd-socket-activate", "-l", path.string(),
                       std::string(HUBGATE_BIN_DIR) + "/ops_control_probe", path.string()});
    REQUIRE(activator.wait_for_output("Listening on", 20s));
    auto reply = request_status(path, 20s);
    REQUIRE(reply.outcome == StatusReply::Outcome::Ok);
    CHECK(reply.json["counters"]["socket_activated"] == 1);
    CHECK(reply.json["sessions"][0]["device_id"] == "probe-device");
    activator.stop();
    // The socket belongs to the activator; the probe did not create or remove it itself.
    CHECK(activator.output().find("socket activated: yes") != std::string::npos);
}

TEST_CASE("a device request answers that device with its counters, or says it is unknown") {
    ScratchDir dir("hubgate-control");
    const fs::path path = dir.path() / "control.sock";
    ControlServer server([] {
        auto snapshot = fake_snapshot(1);
        snapshot.sessions[1].counters = {{"connect_failures", 4}};
        return snapshot;
    });
    REQUIRE_FALSE(server.start(path).has_value());

    auto reply = request_device(path, "meter-7");
    REQUIRE(reply.outcome == StatusReply::Outcome::Ok);
    CHECK(reply.json["device"]["device_id"] == "meter-7");
    CHECK(reply.json["device"]["reason"] == "connection refused");
    CHECK(reply.json["device"]["counters"]["connect_failures"] == 4);

    auto unknown = request_device(path, "nobody");
    CHECK(unknown.outcome == StatusReply::Outcome::Failed);
    CHECK(unknown.error.find("no device 'nobody'") != std::string::npos);
    // A line feed cannot smuggle a second request.
    CHECK(request_device(path, "meter-7\nstatus").outcome == StatusReply::Outcome::Failed);
}

namespace {

ProvisioningStatus fake_provisioning(std::string state, unsigned attempts) {
    ProvisioningStatus device;
    device.device_id = "s1";
    device.state = std::move(state);
    device.attempts = attempts;
    if (device.state == "assigned") {
        device.assigned_hub = "hub.example";
        device.message = "assigned to hub.example as s1";
    }
    return device;
}

}  // namespace

TEST_CASE("provisioning requests reach the daemon's callback, or say provisioning is off") {
    ScratchDir dir("hubgate-control");
    const fs::path path = dir.path() / "control.sock";
    std::vector<std::string> calls;
    ControlServer server(
        [] { return fake_snapshot(1); },
        [&](const std::string& id, bool register_again) -> ProvisioningAnswer {
            calls.push_back((register_again ? "provision " : "query ") + id);
            if (id != "s1")
                return {std::nullopt, "no device '" + id + "' here"};
            return {fake_provisioning(register_again ? "queued" : "assigned", 2), {}};
        });
    REQUIRE_FALSE(server.start(path).has_value());

    auto reply = request_provisioning(path, "s1", true);
    REQUIRE(reply.outcome == StatusReply::Outcome::Ok);
    CHECK(reply.json["provisioning"]["device_id"] == "s1");
    CHECK(reply.json["provisioning"]["state"] == "queued");
    reply = request_provisioning(path, "s1", false);
    REQUIRE(reply.outcome == StatusReply::Outcome::Ok);
    CHECK(reply.json["provisioning"]["state"] == "assigned");
    CHECK(reply.json["provisioning"]["assigned_hub"] == "hub.example");
    CHECK(reply.json["provisioning"]["attempts"] == 2);

    const auto unknown = request_provisioning(path, "nobody", true);
    CHECK(unknown.outcome == StatusReply::Outcome::Failed);
    CHECK(unknown.error.find("no device 'nobody' here") != std::string::npos);
    // A line feed cannot smuggle a second request.
    CHECK(request_provisioning(path, "s1\nstatus", true).outcome == StatusReply::Outcome::Failed);
    CHECK(calls == std::vector<std::string>{"provision s1", "query s1", "provision nobody"});
    server.stop();

    ControlServer without([] { return fake_snapshot(1); });
    REQUIRE_FALSE(without.start(path).has_value());
    const auto off = request_provisioning(path, "s1", true);
    CHECK(off.outcome == StatusReply::Outcome::Failed);
    CHECK(off.error.find("does not provision devices") != std::string::npos);
}

TEST_CASE("hubgate provision waits for the registration its request started, then prints it") {
    ScratchDir dir("hubgate-control");
    const fs::path path = dir.path() / "control.sock";
    // A registration was under way when the request came (attempt 1): its end is not the answer.
    std::atomic<int> polls{0};
    ControlServer server([] { return fake_snapshot(1); },
                         [&](const std::string&, bool register_again) -> ProvisioningAnswer {
                             if (register_again)
                                 return {fake_provisioning("queued", 1), {}};
                             const int poll = ++polls;
                             if (poll == 1)
                                 return {fake_provisioning("assigned", 1), {}};
                             if (poll == 2)
                                 return {fake_provisioning("registering", 2), {}};
                             return {fake_provisioning("assigned", 2), {}};
                         });
    REQUIRE_FALSE(server.start(path).has_value());
    const auto printed =
        run({kHubgate, "provision", "--device", "s1", "--socket", path.string()}, 30s);
    CHECK(printed.status == 0);
    CHECK(printed.output == "s1: assigned to hub.example as s1\n");
    CHECK(polls == 3);

    const auto usage = run({kHubgate, "provision", "--socket", path.string()}, 30s);
    CHECK(usage.status == 2);
    CHECK(usage.output.find("--device") != std::string::npos);
}
