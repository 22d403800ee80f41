// Redelivery detection: RecentSources on its own, and through Spool::append across a reopen.
#include <doctest/doctest.h>

#include "gateway/spool/recent_sources.hpp"
#include "scratch_dir.hpp"
#include "spool_test_support.hpp"

using namespace hubgate::spool;
using namespace hubgate::spool::test;

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
