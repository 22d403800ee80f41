// UnconfirmedWindow: reads stop at the limit until the broker echoes a marker, markers follow
// commits, and a silent echo or a lost connection never stalls the link for good.
#include <doctest/doctest.h>

#include "gateway/transport/unconfirmed_window.hpp"

using hubgate::transport::UnconfirmedWindow;
using namespace std::chrono_literals;

namespace {

UnconfirmedWindow::Clock::time_point at(std::chrono::milliseconds offset) {
    return UnconfirmedWindow::Clock::time_point{} + 1h + offset;
}

}  // namespace

TEST_CASE("unconfirmed window: holds reads at the limit until a marker comes back") {
    UnconfirmedWindow window(3);
    CHECK_FALSE(window.marker_after_commit(at(0ms), 0));  // nothing taken, nothing to mark
    for (int i = 0; i < 3; ++i) {
        window.taken();
    }
    CHECK(window.marker_after_commit(at(1ms), 3) == 3U);
    CHECK_FALSE(window.marker_after_commit(at(2ms), 3));  // nothing new since
    CHECK_FALSE(window.allows(true, 0, at(3ms)));
    CHECK(window.unconfirmed(0) == 3);
    CHECK(window.allows(true, 3, at(4ms)));  // the broker processed those PUBACKs
    CHECK(window.unconfirmed(3) == 0);
}

TEST_CASE("unconfirmed window: no echo, or a limit of 0, never holds reads") {
    UnconfirmedWindow window(2);
    window.taken();
    window.taken();
    CHECK(window.allows(false, 0, at(0ms)));
    UnconfirmedWindow unbounded(0);
    unbounded.taken();
    CHECK_FALSE(unbounded.marker_after_commit(at(0ms), 1));
    CHECK(unbounded.allows(true, 0, at(0ms)));
}

TEST_CASE("unconfirmed window: a lost marker is repeated, a silent echo is given up on") {
    UnconfirmedWindow window(1);
    window.taken();
    REQUIRE(window.marker_after_commit(at(0ms), 1) == 1U);
    CHECK_FALSE(window.allows(true, 0, at(10ms)));
    CHECK_FALSE(window.marker_to_repeat(at(20ms)));  // too early
    CHECK(window.marker_to_repeat(at(10ms) + UnconfirmedWindow::kRepeatAfter) == 1U);
    CHECK_FALSE(window.allows(true, 0, at(10ms) + UnconfirmedWindow::kGiveUp - 1ms));
    CHECK(window.allows(true, 0, at(10ms) + UnconfirmedWindow::kGiveUp));
    // Given up: what was taken is not waited for; new messages are again.
    window.taken();
    CHECK_FALSE(window.allows(true, 0, at(10ms) + UnconfirmedWindow::kGiveUp + 1ms));
}

TEST_CASE("unconfirmed window: a marker covers only the messages its batch acknowledged") {
    UnconfirmedWindow window(10);
    for (int i = 0; i < 5; ++i) {
        window.taken();
    }
    // Two of the five were read ahead while the batch synced: their PUBACKs come later.
    CHECK(window.marker_after_commit(at(0ms), 3) == 3U);
    CHECK(window.unconfirmed(3) == 2);
    CHECK(window.marker_after_commit(at(1ms), 5) == 5U);
    CHECK_FALSE(window.marker_after_commit(at(2ms), 7));  // never more than was taken
}

TEST_CASE("unconfirmed window: a lost connection is not waited for") {
    UnconfirmedWindow window(2);
    window.taken();
    window.taken();
    CHECK_FALSE(window.allows(true, 0, at(0ms)));
    window.connection_lost();  // the broker redelivers those; their PUBACKs are gone
    CHECK(window.allows(true, 0, at(1ms)));
}
