#pragma once
// The Debian packages this build tree makes, for the package tests (hubgate's in test/ops,
// hubsim's in test/hubsim_package). Header-only: each test target defines CPACK_COMMAND,
// BUILD_DIR, DPKG, DPKG_DEB and DPKG_QUERY.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "harness/process.hpp"
#include "harness/scratch_dir.hpp"

namespace hubgate::test {

// The package `name` ("hubgate", "hubsim") as cpack builds it from this tree; `deb` stays empty
// when there is none (`build_log` says why). Under ctest, the `debs` fixture (test/ops) has run
// cpack once for every package test and HUBGATE_DEBS_DIR names its output; a test program run by
// hand builds its own, so it never picks up packages older than the tree.
struct BuiltPackage {
    std::optional<ScratchDir> own_dir;
    std::filesystem::path deb;
    std::string build_log;

    explicit BuiltPackage(const std::string& name) {
        std::filesystem::path dir;
        if (const char* built = std::getenv("HUBGATE_DEBS_DIR"); built != nullptr && *built) {
            dir = built;
            build_log = "HUBGATE_DEBS_DIR=" + dir.string() + " (the debs fixture's cpack)";
        } else {
            using namespace std::chrono_literals;
            own_dir.emplace(name + "-deb");
            dir = own_dir->path();
            auto result =
                run({CPACK_COMMAND, "--config", std::string(BUILD_DIR) + "/CPackConfig.cmake", "-G",
                     "DEB", "-B", dir.string()},
                    300s);
            build_log = result.output;
        }
        // cpack builds every package of the tree in one go: pick ours.
        std::error_code missing;
        for (const auto& entry : std::filesystem::directory_iterator(dir, missing)) {
            if (entry.path().filename().string().starts_with(name + "_") &&
                entry.path().extension() == ".deb")
                deb = entry.path();
        }
    }
};

// Built once per test program (ctest runs each case in its own process).
// A program tests one package: the first call's `name` is the one built.
inline const BuiltPackage& built_package(const std::string& name) {
    static const BuiltPackage built(name);
    return built;
}

// dpkg-deb's output; a failure fails the test.
inline std::string dpkg_deb(const std::vector<std::string>& args) {
    using namespace std::chrono_literals;
    std::vector<std::string> argv{DPKG_DEB};
    argv.insert(argv.end(), args.begin(), args.end());
    auto result = run(argv, 60s);
    REQUIRE(result.status == 0);
    return result.output;
}

// dpkg refuses at once while another dpkg holds its lock (the other package test): tried again
// until `timeout`.
inline RunResult dpkg(const std::vector<std::string>& args,
                      std::chrono::seconds timeout = std::chrono::seconds(300)) {
    std::vector<std::string> argv{DPKG};
    argv.insert(argv.end(), args.begin(), args.end());
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        auto result = run(argv, timeout);
        const bool locked = result.status != 0 && result.output.find("lock") != std::string::npos;
        if (!locked || std::chrono::steady_clock::now() > deadline)
            return result;
        // A poll of another process's lock, not a readiness wait.
        std::this_thread::sleep_for(std::chrono::seconds(1));
    }
}

// True when dpkg knows the package in any state but "not installed, no config files left".
inline bool dpkg_knows(const std::string& name) {
    using namespace std::chrono_literals;
    auto query = run({DPKG_QUERY, "-W", "-f=${Status}", name}, 30s);
    return query.status == 0 && query.output.find("not-installed") == std::string::npos;
}

}  // namespace hubgate::test
