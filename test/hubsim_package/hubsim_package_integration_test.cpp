// The hubsim Debian package: built with cpack from this build tree (beside hubgate's), its
// contents checked, then installed into this (throwaway, root) system with dpkg, `hubsim run`
// started from the installed paths until its ready line, and the package removed: nothing of it
// may be left. Another test may hold dpkg's lock (hubgate's package test): waited for.
#include <doctest/doctest.h>
#include <unistd.h>

#include <csignal>
#include <sstream>
#include <thread>

#include "harness/debian_package.hpp"
#include "harness/listening_sockets.hpp"
#include "harness/process.hpp"
#include "harness/scratch_dir.hpp"

using namespace hubgate::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

const fs::path kInstalledCli = "/usr/bin/hubsim";
const fs::path kInstalledPlugin = "/usr/lib/hubsim/plugins/hubsim_plugin.so";
const fs::path kInstalledExample = "/usr/share/doc/hubsim/examples/hubsim.toml";

const BuiltPackage& package() {
    return built_package("hubsim");
}

bool installed() {
    return dpkg_knows("hubsim");
}

// The files (not folders) the package installs, as absolute paths.
std::vector<fs::path> packaged_files(const std::string& listing) {
    std::vector<fs::path> files;
    std::istringstream lines(listing);
    for (std::string line; std::getline(lines, line);) {
        if (line.empty() || line[0] == 'd')
            continue;
        const auto dot = line.find(" ./");
        if (dot != std::string::npos)
            files.emplace_back(line.substr(dot + 2));
    }
    return files;
}

}  // namespace

TEST_CASE("the hubsim package holds the CLI, its plugin where the CLI looks, an example, docs") {
    INFO(package().build_log);
    REQUIRE_FALSE(package().deb.empty());
    const auto listing = dpkg_deb({"-c", package().deb.string()});
    CAPTURE(listing);
    for (const fs::path& path : {kInstalledCli, kInstalledPlugin, kInstalledExample,
                                 fs::path("/usr/share/doc/hubsim/hubsim.md"),
                                 fs::path("/usr/share/doc/hubsim/hubsim-dps.md"),
                                 fs::path("/usr/share/man/man1/hubsim.1.gz"),
                                 fs::path("/usr/share/bash-completion/completions/hubsim")}) {
        CAPTURE(path);
        CHECK(listing.find(" ." + path.string() + "\n") != std::string::npos);
    }
    // Nothing of the gateway: the two packages install side by side or alone.
    CHECK(listing.find("hubgate") == std::string::npos);
    CHECK(dpkg_deb({"-f", package().deb.string(), "Package"}) == "hubsim\n");
    CHECK(dpkg_deb({"-f", package().deb.string(), "Depends"}).find("mosquitto") !=
          std::string::npos);
    CHECK(dpkg_deb({"-f", package().deb.string(), "Description"}).starts_with("Azure IoT Hub"));
}

TEST_CASE("dpkg installs hubsim, hubsim run starts from the installed paths, dpkg -r removes it") {
    if (::geteuid() != 0) {
        MESSAGE("not root: the install test needs to run dpkg");
        return;
    }
    REQUIRE_FALSE(package().deb.empty());
    REQUIRE_MESSAGE(!installed(), "a hubsim package is already installed; not touching it");
    struct Cleanup {  // whatever happens below, leave no package behind
        ~Cleanup() { dpkg({"--purge", "hubsim"}); }
    } cleanup;

    auto install = dpkg({"-i", package().deb.string()});
    INFO(install.output);
    REQUIRE(install.status == 0);

    {
        ScratchDir state("hubsim-installed");
        // The installed example config as is; no --plugin and no HUBSIM_PLUGIN: the installed
        // CLI finds its plugin by itself.
        Process hubsim({kInstalledCli.string(), "run", "-c", kInstalledExample.string(),
                        "--state-dir", (state.path() / "state").string()},
                       {{"HUBSIM_PLUGIN", ""}});
        const bool ready = hubsim.wait_for_output("hubsim ready ", 60s);
        INFO(hubsim.output());
        REQUIRE(ready);
        CHECK(read_file(state.path() / "state" / "mosquitto.conf")
                  .find("plugin " + kInstalledPlugin.string() + "\n") != std::string::npos);
        const auto sockets = listening_sockets(hubsim.pid());
        CHECK(sockets.size() == 6);  // MQTT, WebSocket, HTTPS, DPS, X.509 hub and DPS listeners
        for (const auto& socket : sockets) {
            CAPTURE(socket.address);
            CHECK(is_loopback(socket.address));
        }
        hubsim.signal(SIGTERM);
        CHECK(hubsim.wait_exit(30s) == 0);
    }

    const auto files = packaged_files(dpkg_deb({"-c", package().deb.string()}));
    REQUIRE_FALSE(files.empty());
    auto remove = dpkg({"--remove", "hubsim"});
    INFO(remove.output);
    REQUIRE(remove.status == 0);
    // No conffiles: removing leaves nothing, and dpkg forgets the package.
    CHECK_FALSE(installed());
    for (const auto& file : files) {
        CAPTURE(file);
        CHECK_FALSE(fs::exists(file));
    }
    CHECK_FALSE(fs::exists("/usr/lib/hubsim"));
    CHECK_FALSE(fs::exists("/usr/share/doc/hubsim"));
}
