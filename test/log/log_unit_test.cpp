// Log format: human on a terminal, "<N>" priority prefixes and no timestamps for journald.
#include <doctest/doctest.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <regex>
#include <string>

#include "gateway/log/log.hpp"

namespace {
// Runs `body` with stderr redirected to a temporary file and returns what was written.
template <class F>
std::string capture_stderr(F body) {
    std::fflush(stderr);
    char path[] = "/tmp/hubgate-log-test-XXXXXX";
    int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    int saved = dup(STDERR_FILENO);
    dup2(fd, STDERR_FILENO);
    body();
    spdlog::default_logger()->flush();
    std::fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    std::string text;
    if (FILE* f = std::fopen(path, "r")) {
        char buf[4096];
        size_t n;
        while ((n = std::fread(buf, 1, sizeof buf, f)) > 0)
            text.append(buf, n);
        std::fclose(f);
    }
    close(fd);
    unlink(path);
    return text;
}
}  // namespace

TEST_CASE("journal format: priority prefix per level, no timestamp") {
    auto out = capture_stderr([] {
        hubgate::log::init("debug", hubgate::log::Format::Journal);
        spdlog::error("e1");
        spdlog::warn("w1");
        spdlog::info("i1");
        spdlog::debug("d1");
    });
    CHECK(out == "<3>e1\n<4>w1\n<6>i1\n<7>d1\n");
}

TEST_CASE("human format has a timestamp and level name") {
    auto out = capture_stderr([] {
        hubgate::log::init("info", hubgate::log::Format::Human);
        spdlog::info("hello");
        spdlog::debug("hidden");
    });
    CHECK(std::regex_search(
        out, std::regex(R"(^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} .*info.* hello\n$)")));
    CHECK(out.find("hidden") == std::string::npos);
}

TEST_CASE("auto picks journal only when JOURNAL_STREAM names stderr") {
    setenv("JOURNAL_STREAM", "1:2", 1);
    std::string out = capture_stderr([] {
        CHECK_FALSE(hubgate::log::stderr_is_journal());
        hubgate::log::init("info");
        spdlog::info("x");
    });
    CHECK(out.find("<6>") == std::string::npos);

    out = capture_stderr([] {
        struct stat st {};
        REQUIRE(fstat(STDERR_FILENO, &st) == 0);
        std::string value = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
        setenv("JOURNAL_STREAM", value.c_str(), 1);
        CHECK(hubgate::log::stderr_is_journal());
        hubgate::log::init("info");
        spdlog::info("y");
    });
    CHECK(out == "<6>y\n");
    unsetenv("JOURNAL_STREAM");
}

TEST_CASE("an unknown level falls back to info") {
    auto out = capture_stderr([] {
        hubgate::log::init("loud", hubgate::log::Format::Journal);
        spdlog::info("kept");
        spdlog::debug("dropped");
    });
    CHECK(out == "<6>kept\n");
}
