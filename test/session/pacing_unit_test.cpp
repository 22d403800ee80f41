// Retry policy, token bucket and renewal timing: pure functions of time and a random draw.
#include <doctest/doctest.h>

#include "gateway/session/retry_policy.hpp"
#include "gateway/session/token_bucket.hpp"
#include "gateway/session/token_renewal.hpp"

using namespace hubgate::session;
using namespace std::chrono_literals;

TEST_CASE("back-off grows exponentially up to its cap") {
    RetryPolicy policy({1000ms, 60000ms, 2.0});
    CHECK(policy.ceiling(0) == 1000ms);
    CHECK(policy.ceiling(1) == 2000ms);
    CHECK(policy.ceiling(5) == 32000ms);
    CHECK(policy.ceiling(6) == 60000ms);
    CHECK(policy.ceiling(1000) == 60000ms);  // no overflow for huge attempt counts
}

TEST_CASE("back-off jitter spans the whole window and never goes below the floor") {
    RetryPolicy policy({1000ms, 60000ms, 2.0});
    CHECK(policy.delay(4, 0.0) == 1000ms);
    CHECK(policy.delay(4, 0.5) == 8500ms);
    CHECK(policy.delay(4, 0.999999) >= 15999ms);
    CHECK(policy.delay(4, 0.999999) <= 16000ms);
    CHECK(policy.delay(4, -3.0) == 1000ms);  // a bad draw is clamped, not trusted
    CHECK(policy.delay(20, 1.0) == 60000ms);
}

TEST_CASE("back-off counts failures and resets") {
    Backoff backoff(RetryPolicy({100ms, 10000ms, 2.0}));
    CHECK(backoff.next(1.0) == 100ms);
    CHECK(backoff.next(1.0) == 200ms);
    CHECK(backoff.next(1.0) == 400ms);
    CHECK(backoff.failures() == 3);
    backoff.reset();
    CHECK(backoff.next(1.0) == 100ms);
}

TEST_CASE("back-off options are sanitised") {
    RetryPolicy policy({0ms, 0ms, 0.5});
    CHECK(policy.delay(3, 0.7) >= 1ms);  // never a zero wait, never shrinking
    CHECK(policy.ceiling(10) >= policy.ceiling(0));
}

TEST_CASE("default random draws stay in 0 to 1") {
    auto random = default_random();
    for (int i = 0; i < 1000; ++i) {
        const double u = random();
        CHECK(u >= 0.0);
        CHECK(u < 1.0);
    }
}

TEST_CASE("token bucket allows the burst - then paces at the rate") {
    const SteadyTime t0{};
    TokenBucket bucket(10, 3, t0);
    CHECK(bucket.try_take(t0));
    CHECK(bucket.try_take(t0));
    CHECK(bucket.try_take(t0));
    CHECK_FALSE(bucket.try_take(t0));
    CHECK(bucket.next_available(t0) == t0 + 100ms);
    CHECK_FALSE(bucket.try_take(t0 + 99ms));
    CHECK(bucket.try_take(t0 + 100ms));
    CHECK_FALSE(bucket.try_take(t0 + 100ms));
    // Over a long run the count taken is rate * time (+ burst), never more.
    int taken = 0;
    for (auto t = t0 + 100ms; t <= t0 + 10100ms; t += 1ms) {
        taken += bucket.try_take(t) ? 1 : 0;
    }
    CHECK(taken == 100);
}

TEST_CASE("token bucket saves up at most the burst") {
    const SteadyTime t0{};
    TokenBucket bucket(10, 2, t0);
    int taken = 0;
    while (bucket.try_take(t0 + 1h)) {
        ++taken;
    }
    CHECK(taken == 2);
}

TEST_CASE("a rate of zero is unlimited") {
    const SteadyTime t0{};
    TokenBucket bucket(0, 1, t0);
    for (int i = 0; i < 10000; ++i) {
        REQUIRE(bucket.try_take(t0));
    }
    CHECK(bucket.next_available(t0) == t0);
}

TEST_CASE("slow_down lowers the rate until it expires and drops saved tokens") {
    const SteadyTime t0{};
    TokenBucket bucket(100, 50, t0);
    bucket.slow_down(0.5, t0 + 10s, t0);
    CHECK(bucket.current_rate(t0 + 1s) == doctest::Approx(50));
    CHECK(bucket.current_rate(t0 + 11s) == doctest::Approx(100));
    CHECK(bucket.try_take(t0));
    CHECK_FALSE(bucket.try_take(t0));               // the burst of 50 is gone
    CHECK(bucket.next_available(t0) == t0 + 20ms);  // 1 token at 50/s
    bucket.slow_down(0.5, t0 + 10s, t0);
    CHECK(bucket.current_rate(t0) == doctest::Approx(25));  // compounds while slowed
    for (int i = 0; i < 20; ++i) {
        bucket.slow_down(0.1, t0 + 10s, t0);
    }
    CHECK(bucket.current_rate(t0) == doctest::Approx(100.0 / 64));  // with a floor
}

TEST_CASE("renewal happens at about 80% of the token life - spread by jitter") {
    RenewalOptions options;  // 0.8, jitter 0.1
    CHECK(renewal_delay(3600s, options, 0.0) == 2880000ms);
    CHECK(renewal_delay(3600s, options, 0.5) == 2700000ms);
    CHECK(renewal_delay(3600s, options, 0.999) > 2520000ms);
    // A thousand sessions with different draws spread over 10% of the life.
    auto earliest = renewal_delay(3600s, options, 0.999);
    auto latest = renewal_delay(3600s, options, 0.0);
    CHECK(latest - earliest > 350s);
}

TEST_CASE("renewal of a very short token still waits a little - and always before expiry") {
    RenewalOptions options;
    options.min_delay = 1000ms;
    options.fraction = 0.1;
    options.jitter = 0;
    CHECK(renewal_delay(1s, options, 0.0) == 500ms);  // min_delay, capped at half the life
    CHECK(renewal_delay(100s, options, 0.0) == 10000ms);
    options.fraction = 0.8;
    CHECK(renewal_delay(4s, options, 0.0) == 3200ms);
    options.fraction = 5.0;  // nonsense config: clamped below the expiry
    CHECK(renewal_delay(10s, options, 0.0) <= 9500ms);
}
