// ReconnectBackoff: delays stay within [min, max], grow while failing, and restart after reset().
#include <doctest/doctest.h>

#include "gateway/transport/reconnect_backoff.hpp"

using hubgate::transport::ReconnectBackoff;
using std::chrono::milliseconds;

TEST_CASE("delays stay between min and max and reach max while failures go on") {
    ReconnectBackoff backoff(milliseconds{100}, milliseconds{5000});
    milliseconds largest{0};
    for (int i = 0; i < 200; ++i) {
        const auto delay = backoff.next();
        CHECK(delay >= milliseconds{100});
        CHECK(delay <= milliseconds{5000});
        largest = std::max(largest, delay);
    }
    CHECK(largest > milliseconds{2500});  // it grew far beyond min
}

TEST_CASE("each delay is at most three times the previous one, and reset starts over") {
    ReconnectBackoff backoff(milliseconds{10}, milliseconds{100000});
    auto previous = milliseconds{10};
    for (int i = 0; i < 50; ++i) {
        const auto delay = backoff.next();
        CHECK(delay <= previous * 3);
        previous = delay;
    }
    backoff.reset();
    CHECK(backoff.next() <= milliseconds{30});
}

TEST_CASE("a zero or inverted range is clamped instead of looping fast") {
    ReconnectBackoff backoff(milliseconds{0}, milliseconds{0});
    CHECK(backoff.next() >= milliseconds{1});
}
