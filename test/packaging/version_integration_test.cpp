// `hubgate --version` and `hubsim --version`: the version cmake/Version.cmake derived from
// `git describe` at configure time, a valid Debian version (the package carries the same one).
#include <doctest/doctest.h>

#include <string>

#include "harness/process.hpp"

using hubgate::test::run;
using namespace std::chrono_literals;

namespace {

const std::string kBin = HUBGATE_BIN_DIR;

std::string first_line(const std::string& text) {
    return text.substr(0, text.find('\n'));
}

}  // namespace

TEST_CASE("hubgate --version and hubsim --version print the configured version") {
    for (const std::string command : {"hubgate", "hubsim"}) {
        CAPTURE(command);
        for (const char* option : {"--version", "-V"}) {
            const auto result = run({kBin + "/" + command, option}, 30s);
            CHECK(result.status == 0);
            CHECK(result.output == command + " " + HUBGATE_VERSION + "\n");
        }
    }
    // Valid for dpkg, so the package can carry it unchanged.
    CHECK(run({DPKG, "--validate-version", HUBGATE_VERSION}, 30s).status == 0);
}

TEST_CASE("the version names the commit it was built from") {
    const std::string description = HUBGATE_GIT_DESCRIPTION;
    const std::string version = HUBGATE_VERSION;
    if (description == "none") {
        MESSAGE("not built from a git checkout: the version is the project's, " << version);
        CHECK(version.find("git") == std::string::npos);
        return;
    }
    const auto head = run({GIT, "-C", HUBGATE_SOURCE_DIR, "rev-parse", "--short=10", "HEAD"}, 30s);
    REQUIRE(head.status == 0);
    const std::string commit = first_line(head.output);
    if (description.starts_with("v") && description.find("-g") == std::string::npos) {
        // Built at a release tag: "v1.2.0" is version 1.2.0.
        CHECK(version.starts_with(description.substr(1)));
    } else {
        CHECK(version.find(".g" + commit) != std::string::npos);
        CHECK(description.find(commit) != std::string::npos);
    }
}

TEST_CASE("the usage mentions --version") {
    CHECK(run({kBin + "/hubgate", "--help"}, 30s).output.find("--version") != std::string::npos);
    CHECK(run({kBin + "/hubsim", "--help"}, 30s).output.find("--version") != std::string::npos);
}
