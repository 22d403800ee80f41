// EventBatch: what is deferred on a thread reaches its sink when the batch closes or is flushed.
#include <doctest/doctest.h>

#include <string>
#include <thread>
#include <vector>

#include "gateway/transport/event_batch.hpp"

namespace hubgate::session {

namespace {

// Records how tasks arrive: one entry per post_batch, the tasks run in the order received.
struct RecordingSink final : transport::EventBatchSink {
    std::vector<std::size_t> batch_sizes;
    std::string ran;
    void post_batch(std::vector<transport::EventTask>& tasks) override {
        batch_sizes.push_back(tasks.size());
        for (auto& task : tasks) {
            task();
        }
    }
};

transport::EventTask append(std::string& to, char c) {
    return [&to, c] { to.push_back(c); };
}

}  // namespace

TEST_CASE("event batch: without an open batch nothing is deferred") {
    RecordingSink sink;
    auto task = append(sink.ran, 'a');
    CHECK_FALSE(transport::EventBatch::defer(sink, task));
    CHECK(task);  // left to the caller, who posts it itself
    CHECK(sink.batch_sizes.empty());
}

TEST_CASE("event batch: events of a turn reach each sink at once, in order, when it closes") {
    RecordingSink first;
    RecordingSink second;
    {
        const transport::EventBatch batch;
        for (char c : std::string("abc")) {
            auto task = append(first.ran, c);
            REQUIRE(transport::EventBatch::defer(first, task));
        }
        auto other = append(second.ran, 'x');
        REQUIRE(transport::EventBatch::defer(second, other));
        {
            const transport::EventBatch
                nested;  // joins the open batch: closing it hands nothing over
            auto task = append(first.ran, 'd');
            REQUIRE(transport::EventBatch::defer(first, task));
        }
        CHECK(first.batch_sizes.empty());
    }
    CHECK(first.batch_sizes == std::vector<std::size_t>{4});
    CHECK(first.ran == "abcd");
    CHECK(second.batch_sizes == std::vector<std::size_t>{1});
    CHECK(second.ran == "x");
}

TEST_CASE("event batch: flush() hands over at once (before a connection is destroyed)") {
    RecordingSink sink;
    const transport::EventBatch batch;
    auto task = append(sink.ran, 'a');
    REQUIRE(transport::EventBatch::defer(sink, task));
    transport::EventBatch::flush();
    CHECK(sink.ran == "a");
    auto later = append(sink.ran, 'b');
    REQUIRE(transport::EventBatch::defer(sink, later));
    CHECK(sink.ran == "a");
}

TEST_CASE("event batch: a batch belongs to its thread") {
    RecordingSink sink;
    const transport::EventBatch batch;
    bool deferred_elsewhere = true;
    std::thread other([&] {
        auto task = append(sink.ran, 'z');
        deferred_elsewhere = transport::EventBatch::defer(sink, task);
    });
    other.join();
    CHECK_FALSE(deferred_elsewhere);
}

}  // namespace hubgate::session
