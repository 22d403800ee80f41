// Redelivery detection: RecentSources on its own, and through Spool::append across a reopen.
#include <doctest/doctest.h>

#include <fstream>
#include <vector>

#include "gateway/spool/recent_sources.hpp"
#include "harness/scratch_dir.hpp"
#include "spool_test_support.hpp"

using namespace hubgate::spool;
using namespace hubgate::spool::test;
using hubgate::test::ScratchDir;

namespace {

SpoolMessage from_source(const std::string& device, int n, std::uint32_t packet_id) {
    SpoolMessage message = message_for(device, n);
    message.source = {packet_id, source_digest("plant/x", message.payload)};
    return message;
}

}  // namespace

TEST_CASE("recent sources: bounded, latest packet id wins, content must match") {
    RecentSources recent(3);
    recent.remember({1, 100, 11, "m1"});
    recent.remember({2, 200, 12, "m2"});
    recent.remember({0, 300, 13, "qos0"});  // packet id 0 is never remembered
    CHECK(recent.size() == 2);
    CHECK(recent.find(1, 100)->mid == "m1");
    CHECK_FALSE(recent.find(1, 101));  // same id, other content: a different message
    CHECK_FALSE(recent.find(0, 300));
    recent.remember({2, 222, 14, "m2-again"});
    recent.remember({3, 300, 15, "m3"});  // evicts {1}
    CHECK_FALSE(recent.find(1, 100));
    recent.remember({4, 400, 16, "m4"});  // evicts the older {2}, not the newer one
    CHECK(recent.find(2, 222)->mid == "m2-again");
    CHECK(recent.find(4, 400)->seq == 16);
    recent.forget();
    CHECK_FALSE(recent.find(4, 400));
    recent.remember({5, 500, 17, "m5"});
    CHECK(recent.find(5, 500)->mid == "m5");
}

TEST_CASE("source digests tell topic and payload boundaries apart") {
    CHECK(source_digest("ab", "c") != source_digest("a", "bc"));
    CHECK(source_digest("t", "p") == source_digest("t", "p"));
}

TEST_CASE("a redelivered message is not stored twice and keeps its mid, also after reopen") {
    ScratchDir dir;
    auto options = options_for(dir.path());
    AppendResult first;
    {
        auto spool = open_or_fail(options);
        first = spool->append(from_source("dev", 1, 7));
        REQUIRE(first.status == AppendStatus::ok);
        CHECK_FALSE(first.redelivery);
        auto again = spool->append(from_source("dev", 1, 7));
        CHECK(again.status == AppendStatus::ok);
        CHECK(again.redelivery);
        CHECK(again.mid == first.mid);
        CHECK(again.seq == first.seq);
        CHECK(spool->counters().appended == 1);
        CHECK(spool->counters().redeliveries == 1);
        // QoS 0 (packet id 0): never a redelivery.
        CHECK_FALSE(spool->append(from_source("dev", 3, 0)).redelivery);
        CHECK_FALSE(spool->append(from_source("dev", 3, 0)).redelivery);
        CHECK(spool->backlog("dev") == 3);
    }
    // The process died before the PUBACK went out; the broker resends to the next process.
    auto spool = open_or_fail(options);
    auto resent = spool->append(from_source("dev", 1, 7));
    CHECK(resent.redelivery);
    CHECK(resent.mid == first.mid);
    CHECK(spool->backlog("dev") == 3);
    // Acknowledged messages are still recognised (the hub has it already).
    auto taken = spool->take("dev");
    REQUIRE_FALSE(taken.empty());
    CHECK(spool->ack("dev", taken[0].seq));
    CHECK(spool->append(from_source("dev", 1, 7)).redelivery);
    // Same packet id, different content: a new message.
    CHECK_FALSE(spool->append(from_source("dev", 2, 7)).redelivery);
    // A new broker session restarts packet ids: then the same id is a new message.
    spool->forget_recent_sources();
    auto fresh = spool->append(from_source("dev", 2, 7));
    CHECK_FALSE(fresh.redelivery);
    CHECK(fresh.mid != first.mid);
}

TEST_CASE("recent sources: restore merges by seq and keeps the newest window") {
    RecentSources recent(3);
    recent.remember({5, 500, 15, "m15"});
    recent.remember({6, 600, 16, "m16"});
    // sources.log read at start-up: older and newer entries, one already known, out of order.
    recent.restore({{4, 400, 14, "m14"}, {7, 700, 17, "m17"}, {5, 500, 15, "m15"}});
    CHECK(recent.size() == 3);
    CHECK_FALSE(recent.find(4, 400));  // the oldest fell out of the window
    CHECK(recent.find(5, 500)->mid == "m15");
    CHECK(recent.find(7, 700)->seq == 17);
    const auto window = recent.entries();
    REQUIRE(window.size() == 3);
    CHECK(window.front().seq == 15);
    CHECK(window.back().seq == 17);
}

TEST_CASE("recent sources: a floor drops what an earlier broker session stored") {
    RecentSources recent(8);
    recent.forget(20);
    recent.remember({3, 300, 19, "old"});  // still in a segment, from before the new session
    CHECK_FALSE(recent.find(3, 300));
    recent.remember({4, 400, 20, "new"});
    CHECK(recent.find(4, 400));
    RecentSources restarted(8);
    restarted.remember({3, 300, 19, "old"});  // recovery scans segments before it reads the log
    restarted.restore({{0, 0, 20, ""}, {4, 400, 20, "new"}});
    CHECK_FALSE(restarted.find(3, 300));
    CHECK(restarted.find(4, 400)->mid == "new");
    CHECK(restarted.floor() == 20);
}

TEST_CASE("a redelivery is recognised after its record was acknowledged and its segment deleted") {
    ScratchDir dir;
    auto options = options_for(dir.path());
    options.segment_bytes = 1024;  // a few records per segment, so that finished ones go
    std::vector<AppendResult> stored;
    {
        auto spool = open_or_fail(options);
        for (int n = 1; n <= 40; ++n) {
            stored.push_back(spool->append(from_source("dev", n, static_cast<std::uint32_t>(n))));
            REQUIRE(stored.back().status == AppendStatus::ok);
        }
        REQUIRE(spool->commit());
        // The hub acknowledged them all; tidy() deletes every finished segment.
        while (spool->backlog("dev") > 0) {
            for (const auto& message : spool->take("dev")) {
                REQUIRE(spool->ack("dev", message.seq));
            }
        }
        spool->tidy();
        CHECK(count_segments(dir.path()) <= 1);
    }
    // The broker never saw the PUBACKs of the first ten (their segments are gone): it resends
    // them, same packet ids, same content.
    {
        auto spool = open_or_fail(options);
        for (int n = 1; n <= 10; ++n) {
            const auto again = spool->append(from_source("dev", n, static_cast<std::uint32_t>(n)));
            CHECK(again.redelivery);
            CHECK(again.mid == stored[static_cast<std::size_t>(n - 1)].mid);
        }
        CHECK(spool->counters().appended == 0);
        CHECK(spool->backlog("dev") == 0);
        // Same packet id, other content: a new message, stored.
        CHECK_FALSE(spool->append(from_source("dev", 99, 40)).redelivery);
    }
    // Still known after one more restart (and the compaction of the start-up before).
    auto spool = open_or_fail(options);
    CHECK(spool->append(from_source("dev", 5, 5)).redelivery);
}

TEST_CASE("a spool emptied by earlier runs numbers on after the seqs sources.log names") {
    // Seen in the chaos soak (seed 86): a run stores and the hub acknowledges everything; the
    // next run hangs in a plugin before storing anything, and its start compacts acks.log to
    // nothing; the run after it must not number from 1 again, or its messages share seqs with
    // the ones sources.log remembers, and the restored window keeps one message per seq: the
    // broker's redeliveries to the next run were stored again under new $.mids.
    ScratchDir dir;
    auto options = options_for(dir.path());
    AppendResult old_message;
    {
        auto spool = open_or_fail(options);
        old_message = spool->append(from_source("dev", 1, 7));
        REQUIRE(old_message.status == AppendStatus::ok);
        REQUIRE(spool->commit());
        for (const auto& message : spool->take("dev")) {
            REQUIRE(spool->ack("dev", message.seq));
        }
    }
    open_or_fail(options).reset();  // finds it finished: deletes its segment, empties acks.log
    AppendResult new_message;
    {
        auto spool = open_or_fail(options);
        new_message = spool->append(from_source("dev", 2, 8));
        REQUIRE(new_message.status == AppendStatus::ok);
        CHECK(new_message.seq > old_message.seq);
    }
    // The broker resends both (no PUBACK was seen): each keeps its own $.mid.
    auto spool = open_or_fail(options);
    const auto again = spool->append(from_source("dev", 2, 8));
    CHECK(again.redelivery);
    CHECK(again.mid == new_message.mid);
    const auto old_again = spool->append(from_source("dev", 1, 7));
    CHECK(old_again.redelivery);
    CHECK(old_again.mid == old_message.mid);
}

TEST_CASE("a new broker session empties the persisted window too") {
    ScratchDir dir;
    const auto options = options_for(dir.path());
    {
        auto spool = open_or_fail(options);
        REQUIRE(spool->append(from_source("dev", 1, 7)).status == AppendStatus::ok);
        spool->tidy();
        spool->forget_recent_sources();
    }
    auto spool = open_or_fail(options);
    // Packet id 7 of the new broker session is another message, even with the same content.
    CHECK_FALSE(spool->append(from_source("dev", 1, 7)).redelivery);
}

TEST_CASE("sources.log: a damaged tail is cut off, the entries before it stay") {
    ScratchDir dir;
    const auto options = options_for(dir.path());
    AppendResult first;
    {
        auto spool = open_or_fail(options);
        first = spool->append(from_source("dev", 1, 7));
        auto taken = spool->take("dev");
        REQUIRE(taken.size() == 1);
        REQUIRE(spool->ack("dev", taken[0].seq));
        spool->tidy();
    }
    open_or_fail(options);  // recovery deletes the finished segment: only sources.log knows it
    REQUIRE(count_segments(dir.path()) == 0);
    {
        std::ofstream log(dir.path() / "sources.log", std::ios::binary | std::ios::app);
        log << "torn";
    }
    auto spool = open_or_fail(options);
    const auto again = spool->append(from_source("dev", 1, 7));
    CHECK(again.redelivery);
    CHECK(again.mid == first.mid);
}

TEST_CASE("a packet id taken by a message not stored no longer matches the older stored one") {
    ScratchDir dir;
    auto spool = open_or_fail(options_for(dir.path()));
    REQUIRE(spool->append(from_source("dev", 1, 7)).status == AppendStatus::ok);
    // 65,535 messages later id 7 came again, for a message the rules ignore; then once more for
    // a heartbeat with the very same content as the first: a new message, not a redelivery.
    spool->pass_source(7);
    CHECK_FALSE(spool->append(from_source("dev", 1, 7)).redelivery);
    CHECK(spool->counters().appended == 2);
}
