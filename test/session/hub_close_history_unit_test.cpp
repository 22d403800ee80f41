// HubCloseHistory: counting the hub's closes near a moment, forgetting old ones, and telling a
// close that hit many sessions from one that hit one device.

#include <doctest/doctest.h>

#include "gateway/session/hub_close_history.hpp"

using namespace hubgate::session;
using namespace std::chrono_literals;

namespace {
SteadyTime at(Millis offset) {
    return SteadyTime{} + offset;
}
}  // namespace

TEST_CASE("closes are counted within the radius on both sides") {
    HubCloseHistory history(60s);
    history.record(at(10s));
    history.record(at(10s + 400ms));
    history.record(at(11s + 500ms));
    history.record(at(20s));
    CHECK(history.count_near(at(10s + 400ms), 1s) == 2);  // 11.5 is 1.1 s away
    CHECK(history.count_near(at(10s + 500ms), 1s) == 3);  // the edges count
    CHECK(history.count_near(at(10s), 1s) == 2);
    CHECK(history.count_near(at(20s), 1s) == 1);
    CHECK(history.count_near(at(15s), 1s) == 0);
}

TEST_CASE("closes older than the horizon are forgotten") {
    HubCloseHistory history(60s);
    history.record(at(0s));
    history.record(at(30s));
    history.record(at(61s));
    CHECK(history.size() == 2);
    CHECK(history.count_near(at(0s), 1s) == 0);
}

TEST_CASE("a close is shared when at least two, and one in twenty, sessions closed with it") {
    HubCloseHistory history(60s);
    history.record(at(5s));
    CHECK_FALSE(close_was_shared(history, at(5s), 1s, 1));  // one device alone
    history.record(at(5s + 10ms));
    CHECK(close_was_shared(history, at(5s), 1s, 2));
    CHECK(close_was_shared(history, at(5s), 1s, 40));        // 2 of 40: one in twenty
    CHECK_FALSE(close_was_shared(history, at(5s), 1s, 41));  // 2 of 41: fewer
    CHECK_FALSE(close_was_shared(history, at(8s), 1s, 2));   // not near
}

TEST_CASE("a time that steps back is kept in order") {
    HubCloseHistory history(60s);
    history.record(at(10s));
    history.record(at(9s));
    CHECK(history.count_near(at(10s), 0ms) == 2);
}
