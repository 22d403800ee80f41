// The Debian package: built with cpack from this build tree, its contents and control files
// checked, then installed into this (throwaway, root) system with dpkg, removed and purged.
// The install test leaves the system as it found it, including the hubgate user.
#include <doctest/doctest.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "harness/debian_package.hpp"
#include "harness/process.hpp"
#include "harness/scratch_dir.hpp"

using namespace hubgate::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

const BuiltPackage& package() {
    return built_package("hubgate");
}

bool installed() {
    return dpkg_knows("hubgate");
}

struct stat stat_of(const fs::path& path) {
    struct stat info {};
    REQUIRE(::stat(path.c_str(), &info) == 0);
    return info;
}

}  // namespace

TEST_CASE("the package holds the daemon, plugins, SDK, units and example config, not hubsim") {
    INFO(package().build_log);
    REQUIRE_FALSE(package().deb.empty());
    const auto listing = dpkg_deb({"-c", package().deb.string()});
    for (const char* path :
         {"./usr/bin/hubgate", "./usr/lib/hubgate/plugins/json-identity.so",
          "./usr/lib/hubgate/plugins/text-to-json.so", "./usr/include/hubgate/plugin.h",
          "./usr/lib/cmake/hubgate/hubgateConfig.cmake",
          "./usr/lib/cmake/hubgate/hubgateTargets.cmake",
          "./usr/lib/cmake/hubgate/HubgatePlugin.cmake", "./usr/lib/systemd/system/hubgate.service",
          "./usr/lib/systemd/system/hubgate.socket", "./usr/lib/sysusers.d/hubgate.conf",
          "./usr/lib/tmpfiles.d/hubgate.conf", "./etc/hubgate/hubgate.toml",
          "./usr/share/doc/hubgate/README.md", "./usr/share/doc/hubgate/PLUGINS.md",
          "./usr/share/doc/hubgate/operations.md",
          "./usr/share/doc/hubgate/examples/mappings/line-sensors.toml",
          "./usr/share/hubgate/monitoring/hubgate-dashboard.json",
          "./usr/share/hubgate/monitoring/hubgate-alerts.yml"}) {
        CAPTURE(path);
        CHECK(listing.find(std::string(path) + "\n") != std::string::npos);
    }
    // For operators: man pages, bash completion, the Debian changelog.
    for (const char* path :
         {"./usr/share/man/man8/hubgate.8.gz", "./usr/share/man/man5/hubgate.toml.5.gz",
          "./usr/share/man/man5/hubgate-mappings.5.gz",
          "./usr/share/bash-completion/completions/hubgate",
          "./usr/share/doc/hubgate/changelog.gz"}) {
        CAPTURE(path);
        CHECK(listing.find(std::string(path) + "\n") != std::string::npos);
    }
    CHECK(listing.find("hubsim") == std::string::npos);
}

TEST_CASE(
    "control: dependencies, the conffile, scripts that never start the service, the version") {
    REQUIRE_FALSE(package().deb.empty());
    const auto depends = dpkg_deb({"-f", package().deb.string(), "Depends"});
    // procps: /bin/kill, the unit's ExecReload (missing from a minimal Debian).
    for (const char* dependency : {"libmosquitto1", "libpaho-mqttpp3-1", "libssl3",
                                   "libtomlplusplus3", "libspdlog1.10", "libsystemd0", "procps"}) {
        CAPTURE(dependency);
        CHECK(depends.find(dependency) != std::string::npos);
    }
    CHECK(dpkg_deb({"-f", package().deb.string(), "Recommends"}).find("mosquitto") !=
          std::string::npos);

    ScratchDir control("hubgate-control");
    dpkg_deb({"-e", package().deb.string(), (control.path() / "DEBIAN").string()});
    const auto dir = control.path() / "DEBIAN";
    CHECK(read_file(dir / "conffiles") == "/etc/hubgate/hubgate.toml\n");
    for (const char* script : {"postinst", "prerm", "postrm"}) {
        CAPTURE(script);
        REQUIRE(fs::exists(dir / script));
        CHECK((stat_of(dir / script).st_mode & 0777) == 0755);
        const auto text = read_file(dir / script);
        CHECK(text.find("start hubgate") == std::string::npos);
        CHECK(text.find("enable hubgate") == std::string::npos);
        CHECK(text.find("systemctl start") == std::string::npos);
        // systemd may not be running (containers, chroots): every systemctl call is guarded.
        if (text.find("systemctl") != std::string::npos ||
            text.find("deb-systemd-invoke") != std::string::npos)
            CHECK(text.find("[ -d /run/systemd/system ]") != std::string::npos);
    }
    CHECK(read_file(dir / "postinst").find("systemd-sysusers") != std::string::npos);
    CHECK(read_file(dir / "postinst").find("adduser --system") != std::string::npos);

    // The version is `hubgate --version`'s and the Debian changelog's. Checked here, not in a case
    // of its own: each case builds the package again (about 30 s).
    const auto version = dpkg_deb({"-f", package().deb.string(), "Version"});
    const auto printed = run({std::string(BUILD_DIR) + "/bin/hubgate", "--version"}, 30s).output;
    CHECK(printed == "hubgate " + version);  // both end in "\n"

    ScratchDir tree("hubgate-tree");
    dpkg_deb({"-x", package().deb.string(), tree.path().string()});
    const auto changelog = tree.path() / "changelog";
    auto unzipped =
        run({GZIP, "-dc", (tree.path() / "usr/share/doc/hubgate/changelog.gz").string()}, 30s);
    REQUIRE(unzipped.status == 0);
    std::ofstream(changelog) << unzipped.output;
    auto parsed = run({DPKG_PARSECHANGELOG, "-l", changelog.string(), "-S", "Version"}, 30s);
    CHECK(parsed.status == 0);
    CHECK(parsed.output == version);
    CHECK(run({DPKG_PARSECHANGELOG, "-l", changelog.string(), "-S", "Maintainer"}, 30s).output ==
          dpkg_deb({"-f", package().deb.string(), "Maintainer"}));
}

TEST_CASE("dpkg installs, removes and purges it cleanly") {
    if (::geteuid() != 0) {
        MESSAGE("not root: the install test needs to run dpkg");
        return;
    }
    REQUIRE_FALSE(package().deb.empty());
    REQUIRE_MESSAGE(!installed(), "a hubgate package is already installed; not touching it");
    const bool user_existed = ::getpwnam("hubgate") != nullptr;
    // Whatever happens below, leave no package and no user behind.
    struct Cleanup {
        bool user_existed;
        ~Cleanup() {
            run({DPKG, "--purge", "hubgate"}, 120s);
            if (!user_existed && ::getpwnam("hubgate") != nullptr) {
                run({"/usr/sbin/userdel", "hubgate"}, 30s);
                run({"/usr/sbin/groupdel", "hubgate"}, 30s);
            }
            std::error_code ignored;
            fs::remove_all("/etc/hubgate", ignored);
        }
    } cleanup{user_existed};

    auto install = run({DPKG, "-i", package().deb.string()}, 300s);
    INFO(install.output);
    REQUIRE(install.status == 0);
    CHECK(fs::exists("/usr/bin/hubgate"));
    auto usage = run({"/usr/bin/hubgate", "status", "--help"}, 30s);
    CHECK(usage.status == 0);

    // man finds the pages; hubgate.toml(5) lists the keys (generated from the schema).
    CHECK(run({MAN, "-w", "hubgate.toml"}, 30s).output ==
          "/usr/share/man/man5/hubgate.toml.5.gz\n");
    CHECK(run({MAN, "-w", "8", "hubgate"}, 30s).output == "/usr/share/man/man8/hubgate.8.gz\n");
    CHECK(run({MAN, "-w", "hubgate-mappings"}, 30s).output ==
          "/usr/share/man/man5/hubgate-mappings.5.gz\n");
    const auto page = run({MAN, "hubgate.toml"}, 60s, {{"MANPAGER", "cat"}, {"MANWIDTH", "120"}});
    CHECK(page.status == 0);
    CHECK(page.output.find("hub.hostname") != std::string::npos);
    CHECK(page.output.find("sessions.connect_rate") != std::string::npos);
    // The installed completion completes a verb.
    const auto completed =
        run({BASH, "--norc", "--noprofile", "-c",
             "source /usr/share/bash-completion/completions/hubgate && COMP_WORDS=(hubgate ch) && "
             "COMP_CWORD=1 && _hubgate_family hubgate ch hubgate && echo \"${COMPREPLY[*]}\""},
            30s);
    CHECK(completed.output == "check\n");

    const passwd* user = ::getpwnam("hubgate");
    REQUIRE(user != nullptr);
    CHECK(std::string(user->pw_dir) == "/var/lib/hubgate");
    const group* hubgate_group = ::getgrnam("hubgate");
    REQUIRE(hubgate_group != nullptr);
    for (const char* dir : {"/etc/hubgate", "/etc/hubgate/keys", "/etc/hubgate/mappings.d"}) {
        CAPTURE(dir);
        auto info = stat_of(dir);
        CHECK((info.st_mode & 0777) == 0750);
        CHECK(info.st_uid == 0);
        CHECK(info.st_gid == hubgate_group->gr_gid);
    }
    auto config = stat_of("/etc/hubgate/hubgate.toml");
    CHECK((config.st_mode & 0777) == 0640);
    CHECK(config.st_gid == hubgate_group->gr_gid);
    // Installed, not started: no control socket, and `hubgate status` says it is not running.
    auto status = run({"/usr/bin/hubgate", "status"}, 30s);
    CHECK(status.status == 3);

    // The daemon's state, and a key the operator put in place.
    fs::create_directories("/var/lib/hubgate/spool");
    std::ofstream("/var/lib/hubgate/spool/segment-1") << "spooled";
    std::ofstream("/etc/hubgate/keys/line-1.key") << "operator secret";

    auto remove = run({DPKG, "--remove", "hubgate"}, 300s);
    INFO(remove.output);
    REQUIRE(remove.status == 0);
    CHECK_FALSE(fs::exists("/usr/bin/hubgate"));
    CHECK_FALSE(fs::exists("/usr/lib/systemd/system/hubgate.service"));
    CHECK_FALSE(fs::exists("/usr/share/man/man5/hubgate.toml.5.gz"));
    CHECK(fs::exists("/etc/hubgate/hubgate.toml"));         // a conffile stays until purge
    CHECK(fs::exists("/var/lib/hubgate/spool/segment-1"));  // state stays until purge

    auto purge = run({DPKG, "--purge", "hubgate"}, 300s);
    INFO(purge.output);
    REQUIRE(purge.status == 0);
    CHECK_FALSE(installed());
    CHECK_FALSE(fs::exists("/var/lib/hubgate"));
    CHECK_FALSE(fs::exists("/etc/hubgate/hubgate.toml"));
    CHECK_FALSE(fs::exists("/etc/hubgate/mappings.d"));
    CHECK(read_file("/etc/hubgate/keys/line-1.key") == "operator secret");  // never deleted
}
