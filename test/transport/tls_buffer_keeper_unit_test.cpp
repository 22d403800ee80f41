// TlsBufferKeeper: a session that keeps sending keeps its TLS buffers, a quiet one gives them
// back, and a single send (the twin GET at connect) changes nothing.
#include <doctest/doctest.h>

#include "gateway/transport/tls_buffer_keeper.hpp"

using hubgate::transport::TlsBufferKeeper;
using namespace std::chrono_literals;

namespace {
const auto t0 = TlsBufferKeeper::Clock::time_point{} + 1h;
constexpr auto kQuiet = TlsBufferKeeper::kQuiet;
}  // namespace

TEST_CASE("tls buffers: kept from the second send within kQuiet, released after kQuiet without") {
    TlsBufferKeeper keeper;
    CHECK_FALSE(keeper.on_timer(t0));  // idle from the start: nothing to release
    CHECK_FALSE(keeper.on_traffic(t0));
    CHECK(keeper.on_traffic(t0 + 100ms));        // busy: the caller clears the mode
    CHECK_FALSE(keeper.on_traffic(t0 + 200ms));  // later sends change nothing
    CHECK(keeper.keeping());
    CHECK_FALSE(keeper.on_timer(t0 + 200ms + kQuiet - 1ms));
    CHECK(keeper.on_timer(t0 + 200ms + kQuiet));
    CHECK_FALSE(keeper.keeping());
    CHECK_FALSE(keeper.on_timer(t0 + 1h));  // released once
}

TEST_CASE("tls buffers: sends further apart than kQuiet never keep them") {
    TlsBufferKeeper keeper;
    for (int i = 0; i < 5; ++i) {
        CHECK_FALSE(keeper.on_traffic(t0 + i * (kQuiet + 1ms)));
    }
    CHECK_FALSE(keeper.keeping());
}

TEST_CASE("tls buffers: a new connection starts releasing, whatever the last one did") {
    TlsBufferKeeper keeper;
    keeper.on_traffic(t0);
    REQUIRE(keeper.on_traffic(t0 + 1ms));
    keeper.reset();
    CHECK_FALSE(keeper.keeping());
    CHECK_FALSE(keeper.on_traffic(t0 + 2ms));  // the new connection's first send
    CHECK(keeper.on_traffic(t0 + 3ms));
}
