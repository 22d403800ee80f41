// Spool behaviour in one process: ordering, window, acks, bounds, TTL, compaction.
#include <doctest/doctest.h>

#include <atomic>
#include <set>
#include <thread>

#include "harness/scratch_dir.hpp"
#include "spool_test_support.hpp"

using namespace hubgate::spool;
using namespace hubgate::spool::test;
using hubgate::test::ScratchDir;

TEST_CASE("messages of one device drain in append order, window at a time") {
    ScratchDir dir;
    auto spool = open_or_fail(options_for(dir.path()));
    std::vector<AppendResult> appended;
    for (int i = 0; i < 5; ++i) {
        appended.push_back(spool->append(message_for("dev-a", i)));
        REQUIRE(appended.back().status == AppendStatus::ok);
    }
    CHECK(spool->commit());

    auto first = spool->take("dev-a");
    REQUIRE(first.size() == 3);  // the window
    for (int i = 0; i < 3; ++i) {
        CHECK(first[i].seq == appended[i].seq);
        CHECK(first[i].mid == appended[i].mid);
        CHECK(first[i].message.payload == message_for("dev-a", i).payload);
        CHECK(first[i].message.properties == message_for("dev-a", i).properties);
        CHECK(first[i].message.kind == RecordKind::telemetry);
    }
    CHECK(spool->take("dev-a").empty());  // window exhausted until acks

    CHECK(spool->ack("dev-a", first[1].seq));  // out of order is fine
    auto second = spool->take("dev-a");
    REQUIRE(second.size() == 1);
    CHECK(second[0].seq == appended[3].seq);
    CHECK(spool->ack("dev-a", first[0].seq));
    auto third = spool->take("dev-a");
    REQUIRE(third.size() == 1);
    CHECK(third[0].seq == appended[4].seq);
    CHECK(spool->backlog("dev-a") == 3);
    CHECK(spool->counters().acked == 2);
    CHECK(spool->counters().appended == 5);
    CHECK(spool->counters().messages == 3);
}

TEST_CASE("message ids are unique") {
    ScratchDir dir;
    auto spool = open_or_fail(options_for(dir.path()));
    std::set<std::string> mids;
    for (int i = 0; i < 200; ++i) {
        auto result = spool->append(message_for("dev", i));
        REQUIRE(result.status == AppendStatus::ok);
        CHECK(result.mid.size() == 36);
        mids.insert(std::string(result.mid));
    }
    CHECK(mids.size() == 200);
}

TEST_CASE("one device with a full window does not hold up another") {
    ScratchDir dir;
    auto spool = open_or_fail(options_for(dir.path()));
    for (int i = 0; i < 6; ++i) {
        REQUIRE(spool->append(message_for("slow", i)).status == AppendStatus::ok);
        REQUIRE(spool->append(message_for("fast", i)).status == AppendStatus::ok);
    }
    CHECK(spool->take("slow").size() == 3);  // never acked
    int delivered = 0;
    for (int round = 0; round < 4; ++round) {
        for (const auto& message : spool->take("fast")) {
            CHECK(message.message.payload == message_for("fast", delivered).payload);
            CHECK(spool->ack("fast", message.seq));
            ++delivered;
        }
    }
    CHECK(delivered == 6);
    CHECK(spool->backlog("fast") == 0);
    CHECK(spool->backlog("slow") == 6);
    CHECK(spool->devices_with_backlog() == std::vector<std::string>{"slow"});
}

TEST_CASE("acks must name an in-flight message of that device") {
    ScratchDir dir;
    auto spool = open_or_fail(options_for(dir.path()));
    auto a = spool->append(message_for("dev-a", 0));
    auto b = spool->append(message_for("dev-b", 0));
    CHECK_FALSE(spool->ack("dev-a", a.seq));  // not taken yet
    REQUIRE(spool->take("dev-a").size() == 1);
    CHECK_FALSE(spool->ack("dev-a", b.seq));  // another device's message
    CHECK_FALSE(spool->ack("dev-x", a.seq));  // unknown device
    CHECK(spool->ack("dev-a", a.seq));
    CHECK_FALSE(spool->ack("dev-a", a.seq));  // twice
    CHECK(spool->counters().acked == 1);
}

TEST_CASE("requeue hands in-flight messages out again with the same ids, in order") {
    ScratchDir dir;
    auto spool = open_or_fail(options_for(dir.path()));
    for (int i = 0; i < 4; ++i) {
        REQUIRE(spool->append(message_for("dev", i)).status == AppendStatus::ok);
    }
    auto first = spool->take("dev");
    REQUIRE(first.size() == 3);
    CHECK(spool->ack("dev", first[0].seq));
    spool->requeue("dev");
    auto again = spool->take("dev");
    REQUIRE(again.size() == 3);
    CHECK(again[0].mid == first[1].mid);
    CHECK(again[1].mid == first[2].mid);
    CHECK(again[2].message.payload == message_for("dev", 3).payload);
}

TEST_CASE("the size bound refuses appends and flow control says no room, and acks make room") {
    ScratchDir dir;
    auto options = options_for(dir.path());
    options.max_bytes = 8 << 10;
    options.segment_bytes = 2 << 10;
    options.max_record_bytes = 1 << 10;
    options.window = 1000;
    auto spool = open_or_fail(options);
    int stored = 0;
    AppendResult last;
    while ((last = spool->append(message_for("dev", stored, 400))).status == AppendStatus::ok) {
        ++stored;
        REQUIRE(stored < 1000);
    }
    CHECK(last.status == AppendStatus::full);
    CHECK(spool->counters().full_events == 1);
    CHECK_FALSE(spool->has_room());
    CHECK(spool->counters().bytes <= options.max_bytes);
    CHECK(stored >= 10);

    // Acknowledging everything in the sealed segments deletes them and frees their bytes.
    for (const auto& message : spool->take("dev")) {
        CHECK(spool->ack("dev", message.seq));
    }
    CHECK(spool->has_room());
    CHECK(spool->append(message_for("dev", stored, 400)).status == AppendStatus::ok);
}

TEST_CASE("a message larger than max_record_bytes is refused as too large, not as full") {
    ScratchDir dir;
    auto spool = open_or_fail(options_for(dir.path()));
    auto result = spool->append(message_for("dev", 0, 17 << 10));
    CHECK(result.status == AppendStatus::too_large);
    CHECK(spool->counters().full_events == 0);
    CHECK(spool->counters().appended == 0);
}

TEST_CASE("messages past the TTL are dropped and counted, on take and on expire") {
    ScratchDir dir;
    auto clock = std::make_shared<FakeClock>();
    auto options = options_for(dir.path(), clock);
    options.ttl = std::chrono::seconds{60};
    auto spool = open_or_fail(options);
    REQUIRE(spool->append(message_for("old", 0)).status == AppendStatus::ok);
    REQUIRE(spool->append(message_for("idle", 0)).status == AppendStatus::ok);
    clock->advance(std::chrono::seconds{30});
    REQUIRE(spool->append(message_for("old", 1)).status == AppendStatus::ok);
    clock->advance(std::chrono::seconds{31});  // the first two are now 61 s old

    auto taken = spool->take("old");
    REQUIRE(taken.size() == 1);
    CHECK(taken[0].message.payload == message_for("old", 1).payload);
    CHECK(spool->counters().dropped_ttl == 1);

    CHECK(spool->expire() == 1);  // "idle" was never taken
    CHECK(spool->counters().dropped_ttl == 2);
    CHECK(spool->backlog("idle") == 0);

    // In-flight messages are the hub's business now: the TTL does not pull them back.
    clock->advance(std::chrono::hours{1});
    CHECK(spool->expire() == 0);
    CHECK(spool->ack("old", taken[0].seq));
}

TEST_CASE("acknowledged segments are deleted and their space returned") {
    ScratchDir dir;
    auto options = options_for(dir.path());
    options.segment_bytes = 1 << 10;
    options.window = 1000;
    auto spool = open_or_fail(options);
    for (int i = 0; i < 60; ++i) {
        REQUIRE(spool->append(message_for("dev", i, 100)).status == AppendStatus::ok);
    }
    const auto full_bytes = spool->counters().bytes.load();
    CHECK(count_segments(dir.path()) >= 5);
    auto taken = spool->take("dev");
    REQUIRE(taken.size() == 60);
    for (std::size_t i = 0; i + 1 < taken.size(); ++i) {
        CHECK(spool->ack("dev", taken[i].seq));
    }
    // Their files go at the next tidy(), not while the lock is held for an ack.
    CHECK(count_segments(dir.path()) >= 5);
    spool->tidy();
    // Only the segment holding the one unacked message remains.
    CHECK(count_segments(dir.path()) == 1);
    CHECK(spool->counters().bytes < full_bytes / 4);
    CHECK(spool->ack("dev", taken.back().seq));
    spool.reset();
    auto reopened = open_or_fail(options);
    CHECK(count_segments(dir.path()) == 0);
    CHECK(reopened->counters().bytes == 0);
    CHECK(reopened->devices_with_backlog().empty());
}

TEST_CASE("acks made while tidy() compacts the ack log on another thread are kept") {
    ScratchDir dir;
    auto options = options_for(dir.path());
    // Several thousand records per segment: a compaction follows each segment's deletion, and
    // the acks made while it runs are of records in the next segment, still on disk at the end.
    options.segment_bytes = 1 << 20;
    options.max_bytes = 64 << 20;
    options.window = 1;
    {
        auto spool = open_or_fail(options);
        std::atomic<bool> done{false};
        std::thread housekeeping([&] {
            while (!done) {
                spool->tidy();
            }
        });
        for (int i = 0; i < 25000; ++i) {
            REQUIRE(spool->append(message_for("dev", i)).status == AppendStatus::ok);
            if (i % 100 == 0) {
                REQUIRE(spool->commit());
            }
            auto taken = spool->take("dev");
            REQUIRE(taken.size() == 1);
            REQUIRE(spool->ack("dev", taken[0].seq));
        }
        done = true;
        housekeeping.join();
        CHECK(spool->counters().io_errors == 0);
    }
    // Every message was acknowledged: none may come back, whichever log the acks went to.
    auto reopened = open_or_fail(options);
    CHECK(reopened->counters().recovered == 0);
    CHECK(reopened->devices_with_backlog().empty());
}

TEST_CASE("a second process cannot open the same spool directory") {
    ScratchDir dir;
    auto spool = open_or_fail(options_for(dir.path()));
    std::string error;
    CHECK(Spool::open(options_for(dir.path()), error) == nullptr);
    CHECK(error.find("in use") != std::string::npos);
}

TEST_CASE("inconsistent limits are refused at open") {
    ScratchDir dir;
    auto options = options_for(dir.path());
    options.max_bytes = options.max_record_bytes - 1;
    std::string error;
    CHECK(Spool::open(options, error) == nullptr);
    CHECK_FALSE(error.empty());
    options = options_for(dir.path());
    options.window = 0;
    CHECK(Spool::open(options, error) == nullptr);
}

TEST_CASE("with sync=always every append is synced and commit has nothing left to do") {
    ScratchDir dir;
    auto options = options_for(dir.path());
    options.sync = SyncMode::always;
    auto spool = open_or_fail(options);
    CHECK(spool->append(message_for("dev", 0)).status == AppendStatus::ok);
    CHECK(spool->commit());
    CHECK(spool->counters().io_errors == 0);
}

TEST_CASE("a device whose messages are all in flight has no backlog to take until requeued") {
    ScratchDir dir;
    auto spool = open_or_fail(options_for(dir.path()));
    REQUIRE(spool->append(message_for("dev", 0)).status == AppendStatus::ok);
    REQUIRE(spool->append(message_for("dev", 1)).status == AppendStatus::ok);
    CHECK(spool->devices_with_backlog() == std::vector<std::string>{"dev"});
    REQUIRE(spool->take("dev").size() == 2);
    CHECK(spool->devices_with_backlog().empty());
    CHECK(spool->backlog("dev") == 2);
    spool->requeue("dev");
    CHECK(spool->devices_with_backlog() == std::vector<std::string>{"dev"});
}
