// InlineFunction: a move-only callable that keeps a small callable inside itself and a large one on
// the heap, and behaves like std::function either way.
#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#include "gateway/transport/inline_function.hpp"

namespace hubgate::transport {

namespace {

using SmallTask = InlineFunction<void(), 64>;

// Counts its live copies, so a test sees every callable destroyed exactly once.
struct LiveCount {
    explicit LiveCount(int& live) : live_(&live) { ++*live_; }
    LiveCount(const LiveCount& other) : live_(other.live_) { ++*live_; }
    LiveCount(LiveCount&& other) noexcept : live_(other.live_) { ++*live_; }
    LiveCount& operator=(const LiveCount&) = delete;
    LiveCount& operator=(LiveCount&&) = delete;
    ~LiveCount() { --*live_; }
    int* live_;
};

}  // namespace

TEST_CASE("inline function: empty until given a callable, and calling an empty one throws") {
    SmallTask task;
    CHECK_FALSE(task);
    CHECK_THROWS_AS(task(), std::bad_function_call);
    SmallTask none = nullptr;
    CHECK_FALSE(none);
    task = [] {};
    CHECK(task);
}

TEST_CASE("inline function: arguments and results pass through, by value and by reference") {
    InlineFunction<std::string(std::uint64_t, const std::string&), 64> describe =
        [prefix = std::string("seq ")](std::uint64_t seq, const std::string& device) {
            return prefix + std::to_string(seq) + " of " + device;
        };
    CHECK(describe(7, "d1") == "seq 7 of d1");
}

TEST_CASE("inline function: a mutable callable keeps its state across calls") {
    InlineFunction<int(), 32> counter = [calls = 0]() mutable { return ++calls; };
    CHECK(counter() == 1);
    CHECK(counter() == 2);
    const auto& same = counter;
    CHECK(same() == 3);  // called through a const reference, as std::function allows
}

TEST_CASE("inline function: a callable that fits and one that does not both move and die once") {
    int live = 0;
    std::string ran;
    {
        // A string and a shared_ptr: std::function would put this one on the heap.
        SmallTask small = [count = LiveCount(live), text = std::string("small"),
                           owner = std::make_shared<int>(1), &ran] { ran += text; };
        // Far beyond 64 bytes: kept on the heap, reached through the same interface.
        SmallTask large = [count = LiveCount(live), padding = std::array<char, 256>{'L'}, &ran] {
            ran += padding[0];
        };
        CHECK(live == 2);
        SmallTask moved_small = std::move(small);
        SmallTask moved_large = std::move(large);
        CHECK_FALSE(small);  // NOLINT(bugprone-use-after-move): a moved-from one is empty
        CHECK_FALSE(large);  // NOLINT(bugprone-use-after-move)
        CHECK(live == 2);
        moved_small();
        moved_large();
        CHECK(ran == "smallL");
        moved_small = std::move(moved_large);  // the small callable dies here
        CHECK(live == 1);
        moved_small();
        CHECK(ran == "smallLL");
    }
    CHECK(live == 0);
}

TEST_CASE("inline function: a callback holding a shared_ptr and a string is kept inside") {
    // The shape of the spool sender's publish callback: std::function allocates for it.
    const auto owner = std::make_shared<int>(1);
    const std::string device = "device-1";
    int counters = 0;
    const auto callback = [owner, &counters, device = std::string(device)](std::uint64_t, int) {
        ++counters;
    };
    using Callback = InlineFunction<void(std::uint64_t, int), 64>;
    CHECK(Callback::kKeptInside<std::decay_t<decltype(callback)>>);
    // Captured by copy from a const string, the member is const: it would move by copying.
    const auto const_member = [device](std::uint64_t, int) { (void)device; };
    CHECK_FALSE(Callback::kKeptInside<std::decay_t<decltype(const_member)>>);
}

TEST_CASE("inline function: a std::function and a lambda held by name are taken too") {
    std::string ran;
    std::function<void()> named = [&ran] { ran += 'f'; };
    const auto lambda = [&ran] { ran += 'l'; };
    SmallTask from_function = named;
    SmallTask from_lambda = lambda;
    from_function();
    from_lambda();
    named();
    CHECK(ran == "flf");
}

}  // namespace hubgate::transport
