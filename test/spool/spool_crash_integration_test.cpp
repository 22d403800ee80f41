// kill -9 at random moments while a child process appends (and acknowledges): after reopening,
// every message the child reported as appended and had not acknowledged is there, with its mid.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <map>
#include <random>
#include <set>
#include <string>

#include "harness/scratch_dir.hpp"
#include "spool_test_support.hpp"

using namespace hubgate::spool;
using namespace hubgate::spool::test;
using hubgate::test::ScratchDir;

namespace {

SpoolOptions crash_options(const std::filesystem::path& dir) {
    auto options = options_for(dir);
    options.max_bytes = 64 << 20;
    options.segment_bytes = 256 << 10;  // still several segment switches and deletions
    options.window = 1 << 30;
    return options;
}

// The child: appends forever to three devices, acknowledging some earlier messages. It reports
// "A <mid>" after append() returned, and "K <mid>" just before it calls ack(): a kill can land
// between an ack and any report after it, so the parent must hear of an ack before it happens
// (a K whose ack never happened leaves the message in the spool: a permitted duplicate).
[[noreturn]] void run_child(const std::filesystem::path& dir, int report_fd, unsigned seed) {
    std::string error;
    auto spool = Spool::open(crash_options(dir), error);
    if (!spool) {
        std::fprintf(stderr, "child: %s\n", error.c_str());
        _exit(2);
    }
    const auto report = [report_fd](const std::string& line) {
        if (::write(report_fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
            _exit(4);
        }
    };
    std::mt19937 random(seed);
    for (int i = 0;; ++i) {
        const std::string device = "dev-" + std::to_string(i % 3);
        auto result = spool->append(message_for(device, i, random() % 3000));
        if (result.status != AppendStatus::ok) {
            _exit(3);
        }
        if (random() % 8 == 0) {
            spool->commit();
        }
        report("A " + std::string(result.mid) + "\n");
        if (random() % 2 == 0) {
            for (const auto& taken : spool->take(device)) {
                if (random() % 3 != 0) {
                    report("K " + taken.mid + "\n");
                    spool->ack(device, taken.seq);
                }
            }
            spool->requeue(device);
        }
    }
}

}  // namespace

TEST_CASE("kill -9 while appending loses nothing that append() reported") {
    ScratchDir dir;
    std::mt19937 random(12345);
    std::set<std::string> outstanding;  // appended, not acknowledged, by all children so far
    for (int round = 0; round < 15; ++round) {
        CAPTURE(round);
        int fds[2];
        REQUIRE(::pipe(fds) == 0);
        const pid_t child = ::fork();
        REQUIRE(child >= 0);
        if (child == 0) {
            ::close(fds[0]);
            run_child(dir.path(), fds[1], static_cast<unsigned>(random()));
        }
        ::close(fds[1]);
        // Kill after a random number of reported appends (0 = possibly during recovery).
        const std::size_t kill_after = random() % 3000;
        std::size_t appends = 0;
        std::string pending;
        bool killed = false;
        char buffer[4096];
        for (;;) {
            const ssize_t n = ::read(fds[0], buffer, sizeof buffer);
            if (n <= 0) {
                break;
            }
            pending.append(buffer, static_cast<std::size_t>(n));
            std::size_t newline;
            while ((newline = pending.find('\n')) != std::string::npos) {
                const std::string line = pending.substr(0, newline);
                pending.erase(0, newline + 1);
                if (line.starts_with("A ")) {
                    outstanding.insert(line.substr(2));
                    ++appends;
                } else if (line.starts_with("K ")) {
                    outstanding.erase(line.substr(2));
                }
            }
            if (!killed && appends >= kill_after) {
                ::kill(child, SIGKILL);
                killed = true;  // keep reading what the child wrote before it died
            }
        }
        ::close(fds[0]);
        int status = 0;
        REQUIRE(::waitpid(child, &status, 0) == child);
        REQUIRE(WIFSIGNALED(status));

        auto spool = open_or_fail(crash_options(dir.path()));
        std::set<std::string> present;
        for (const auto& device : spool->devices_with_backlog()) {
            for (const auto& message : spool->take(device)) {
                present.insert(message.mid);
            }
        }
        std::size_t missing = 0;
        for (const auto& mid : outstanding) {
            if (!present.contains(mid)) {
                ++missing;
            }
        }
        CHECK(missing == 0);
        CHECK(spool->counters().corrupt == 0);
        // Whatever came back but was acknowledged is a permitted duplicate; forget it now.
        for (const auto& mid : present) {
            outstanding.insert(mid);
        }
    }
}
