// The systemd files as systemd itself reads them: `systemd-analyze verify` on copies of the units
// that run the built binary, the `systemd-analyze security` rating against its threshold, and
// the sysusers and tmpfiles snippets applied to a scratch root.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <regex>
#include <sstream>

#include "gateway/config/config.hpp"
#include "harness/binaries.hpp"
#include "harness/process.hpp"
#include "harness/scratch_dir.hpp"

using namespace hubgate::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

const fs::path kUnits = fs::path(HUBGATE_SOURCE_DIR) / "systemd";
constexpr double kMaxExposure = 2.0;  // issue 7: at most 2.0 (aim for 1.5)

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
    for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
        text.replace(at, from.size(), to);
    return text;
}

// The units as installed, but starting the hubgate built in this tree (verify checks that the
// binaries exist).
struct UnitCopies {
    ScratchDir dir{"hubgate-units"};
    fs::path service, socket;
    explicit UnitCopies(const std::string& service_text) {
        service =
            dir.write("hubgate.service", replace_all(service_text, "/usr/bin/hubgate", kHubgate));
        socket = dir.write("hubgate.socket", read_file(kUnits / "hubgate.socket"));
    }
};

// verify exits 0 for some faults (an invalid Type= only warns): every line it prints about our
// units is a finding.
std::vector<std::string> verify_findings(const UnitCopies& units) {
    auto result =
        run({SYSTEMD_ANALYZE, "verify", units.socket.string(), units.service.string()}, 60s);
    std::vector<std::string> findings;
    std::istringstream lines(result.output);
    for (std::string line; std::getline(lines, line);) {
        if (line.find("hubgate") != std::string::npos)
            findings.push_back(line);
    }
    if (result.status != 0)
        findings.push_back("exit status " + std::to_string(result.status));
    return findings;
}

std::optional<double> exposure(const fs::path& service) {
    auto result = run({SYSTEMD_ANALYZE, "security", "--offline=true", service.string()}, 60s);
    static const std::regex overall(R"(Overall exposure level for \S+: ([0-9]+\.[0-9]+))");
    std::smatch match;
    if (!std::regex_search(result.output, match, overall))
        return std::nullopt;
    return std::stod(match[1]);
}

}  // namespace

TEST_CASE("systemd-analyze verify finds nothing wrong with the units") {
    UnitCopies units(read_file(kUnits / "hubgate.service"));
    auto findings = verify_findings(units);
    for (const auto& f : findings)
        MESSAGE(f);
    CHECK(findings.empty());
}

TEST_CASE("the verify check notices a broken unit") {
    // Guards the test above: verify only warns about a bad Type=, and a missing binary makes it
    // exit 1; both must count as findings.
    auto text = read_file(kUnits / "hubgate.service");
    UnitCopies bad_type(replace_all(text, "Type=notify", "Type=notifyx"));
    CHECK_FALSE(verify_findings(bad_type).empty());
    UnitCopies missing_binary(
        replace_all(text, "/usr/bin/hubgate run", "/nonexistent/hubgate run"));
    CHECK_FALSE(verify_findings(missing_binary).empty());
}

TEST_CASE("systemd-analyze security rates the service at most 2.0") {
    UnitCopies units(read_file(kUnits / "hubgate.service"));
    auto level = exposure(units.service);
    REQUIRE(level.has_value());
    MESSAGE("exposure level: " << *level);
    CHECK(*level <= kMaxExposure);
    // The parser reads a bad rating too: an unhardened service rates far above the threshold.
    ScratchDir bare("hubgate-units");
    auto plain = bare.write("plain.service", "[Service]\nExecStart=" + kHubgate + " run\n");
    auto plain_level = exposure(plain);
    REQUIRE(plain_level.has_value());
    CHECK(*plain_level > kMaxExposure);
}

TEST_CASE("the service is a watched, reloadable notify service of its own user") {
    const auto unit = read_file(kUnits / "hubgate.service");
    for (const char* line :
         {"Type=notify\n", "ExecStartPre=/usr/bin/hubgate check -c /etc/hubgate/hubgate.toml\n",
          "ExecStart=/usr/bin/hubgate run -c /etc/hubgate/hubgate.toml\n",
          "ExecReload=/bin/kill -HUP $MAINPID\n", "Restart=on-failure\n", "User=hubgate\n",
          "StateDirectory=hubgate\n", "ConfigurationDirectory=hubgate\n",
          "RuntimeDirectory=hubgate\n", "Requires=hubgate.socket\n", "#LoadCredential="}) {
        CAPTURE(line);
        CHECK(unit.find(line) != std::string::npos);
    }
    CHECK(std::regex_search(unit, std::regex("\nWatchdogSec=[1-9][0-9]*s\n")));
}

TEST_CASE("the control socket unit matches the default control.socket, root:hubgate 0660") {
    const auto unit = read_file(kUnits / "hubgate.socket");
    const auto path = hubgate::config::defaults().control.socket.string();
    CHECK(unit.find("ListenStream=" + path + "\n") != std::string::npos);
    CHECK(unit.find("SocketUser=root\n") != std::string::npos);
    CHECK(unit.find("SocketGroup=hubgate\n") != std::string::npos);
    CHECK(unit.find("SocketMode=0660\n") != std::string::npos);
}

TEST_CASE("sysusers creates the user and tmpfiles its private folders in a scratch root") {
    ScratchDir root("hubgate-root");
    fs::create_directories(root.path() / "etc");
    auto users = run({SYSTEMD_SYSUSERS, "--root=" + root.path().string(),
                      (kUnits / "hubgate.sysusers").string()},
                     60s);
    REQUIRE(users.status == 0);
    const auto passwd = read_file(root.path() / "etc/passwd");
    std::smatch user;
    REQUIRE(std::regex_search(passwd, user,
                              std::regex(R"(hubgate:x:(\d+):(\d+):[^:]*:/var/lib/hubgate:(\S+))")));
    CHECK(user[3] == "/usr/sbin/nologin");
    CHECK(std::stoi(user[1]) < 1000);  // a system user

    auto dirs = run({SYSTEMD_TMPFILES, "--root=" + root.path().string(), "--create",
                     (kUnits / "hubgate.tmpfiles").string()},
                    60s);
    REQUIRE(dirs.status == 0);
    for (const char* dir : {"etc/hubgate", "etc/hubgate/keys", "etc/hubgate/mappings.d"}) {
        CAPTURE(dir);
        struct stat info {};
        REQUIRE(::stat((root.path() / dir).c_str(), &info) == 0);
        CHECK((info.st_mode & 0777) == 0750);
        CHECK(info.st_uid == 0);
        CHECK(info.st_gid == static_cast<gid_t>(std::stoi(user[2])));
    }
}
