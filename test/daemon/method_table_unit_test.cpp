// The pending direct-method calls: the table (matching by rid or oldest pending, deadlines,
// duplicates, a device's session ending) and MethodCalls around it (answers, the one timer,
// counters), with a fake hub and a hub thread driven by hand.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "fakes.hpp"
#include "gateway/core/method_calls.hpp"
#include "gateway/core/method_table.hpp"

namespace hubgate::test {

namespace {

using namespace std::chrono_literals;
using core::BridgeReject;
using core::MethodTable;
using core::ReplyKey;

const core::SteadyTime kStart = core::SteadyTime{} + std::chrono::hours(1);

MethodTable three_calls() {
    MethodTable table;
    table.add({"d1", "reboot", "r1", kStart, kStart + 10s});
    table.add({"d1", "ping", "r2", kStart, kStart + 20s});
    table.add({"d1", "reboot", "r3", kStart, kStart + 30s});
    return table;
}

mappings::UplinkRoute reply(const std::string& device_id, const std::string& rid, int status = 200,
                            std::string payload = R"({"ok":true})") {
    mappings::UplinkRoute route;
    route.kind = mappings::UplinkKind::method_reply;
    route.device_id = device_id;
    route.request_id = rid;
    route.status = status;
    route.payload = std::move(payload);
    return route;
}

std::uint64_t unmatched(const core::BridgeCounters& counters) {
    return counters.bridge_rejected[static_cast<std::size_t>(BridgeReject::unmatched_reply)];
}

// MethodCalls as the hub actor runs it, with the fake hub answering.
struct Calls {
    FakeHub hub;
    core::BridgeCounters counters;
    HandThread thread;
    core::MethodCalls calls{hub, counters, thread.thread()};

    std::vector<FakeHub::Reply> replies() {
        return hub.locked([&] { return hub.replies; });
    }
};

}  // namespace

TEST_CASE("method table: a reply is matched by its rid, once") {
    MethodTable table = three_calls();
    const auto taken = table.take({"d1", "r3", "", false});
    REQUIRE(taken);
    CHECK(taken->method == "reboot");
    CHECK_FALSE(table.take({"d1", "r3", "", false}));  // answered once only
    CHECK_FALSE(table.take({"d2", "r1", "", false}));  // another device's rid
    CHECK(table.size() == 2);
}

TEST_CASE("method table: a reply without a rid answers the oldest pending call of its method") {
    MethodTable table = three_calls();
    CHECK(table.take({"d1", "", "reboot", true})->rid == "r1");
    CHECK(table.take({"d1", "", "reboot", true})->rid == "r3");
    CHECK_FALSE(table.take({"d1", "", "reboot", true}));
    CHECK_FALSE(table.take({"d0", "", "", true}));         // a device with none pending
    CHECK(table.take({"d1", "", "", true})->rid == "r2");  // any method
    CHECK(table.size() == 0);

    // Oldest by arrival, not by the rid's spelling.
    table.add({"d1", "reboot", "b", kStart, kStart + 10s});
    table.add({"d1", "reboot", "a", kStart, kStart + 10s});
    CHECK(table.take({"d1", "", "reboot", true})->rid == "b");
}

TEST_CASE("method table: deadlines expire in order, the earliest one is the timer") {
    MethodTable table = three_calls();
    CHECK(table.next_deadline() == kStart + 10s);
    const auto expired = table.expire(kStart + 20s);
    REQUIRE(expired.size() == 2);
    CHECK(expired[0].rid == "r1");
    CHECK(expired[1].rid == "r2");
    CHECK(table.expire(kStart + 20s).empty());
    CHECK(table.next_deadline() == kStart + 30s);
    table.take({"d1", "r3", "", false});
    CHECK_FALSE(table.next_deadline());
}

TEST_CASE("method table: a duplicate rid is refused, a lost session drops only its device") {
    MethodTable table = three_calls();
    CHECK_FALSE(table.add({"d1", "reboot", "r1", kStart, kStart + 99s}));
    CHECK(table.add({"d2", "reboot", "r1", kStart, kStart + 5s}));  // same rid, other device
    const auto dropped = table.drop_device("d1");
    CHECK(dropped.size() == 3);
    CHECK(table.size() == 1);
    CHECK(table.next_deadline() == kStart + 5s);
    CHECK(table.take({"d2", "r1", "", false}));
}

TEST_CASE("method calls: the device's reply answers the hub with its status and payload") {
    Calls rig;
    REQUIRE(rig.calls.handed({"dev", "reboot", "7", "{}"}, 10s));
    rig.thread.advance(250ms);
    rig.calls.post_reply(reply("dev", "7", 201), "t/dev/reply");
    auto replies = rig.replies();
    REQUIRE(replies.size() == 1);
    CHECK(replies[0].device_id == "dev");
    CHECK(replies[0].rid == "7");
    CHECK(replies[0].status == 201);
    CHECK(replies[0].payload == R"({"ok":true})");
    CHECK(rig.counters.method_replies == 1);
    CHECK(rig.counters.method_roundtrip.snapshot().sum == doctest::Approx(0.25));
    CHECK(rig.calls.pending() == 0);

    // An empty reply reaches the hub as JSON null; a reply to the oldest pending call too.
    REQUIRE(rig.calls.handed({"dev", "reboot", "8", "{}"}, 10s));
    auto oldest = reply("dev", "", 200, "");
    oldest.reply_to_oldest_pending = true;
    rig.calls.post_reply(oldest, "t/dev/reply");
    replies = rig.replies();
    REQUIRE(replies.size() == 2);
    CHECK(replies[1].rid == "8");
    CHECK(replies[1].payload == "null");

    // Nothing waits any more: the next reply is counted, not sent.
    rig.calls.post_reply(reply("dev", "8"), "t/dev/reply");
    rig.calls.post_reply(reply("dev", "unknown"), "t/dev/reply");
    CHECK(rig.replies().size() == 2);
    CHECK(unmatched(rig.counters) == 2);
}

TEST_CASE("method calls: no reply in time answers the hub 504, from one timer") {
    Calls rig;
    REQUIRE(rig.calls.handed({"dev", "slow", "1", "{}"}, 5s));
    REQUIRE(rig.calls.handed({"dev", "slow", "2", "{}"}, 8s));
    CHECK(rig.thread.timers() == 1);  // armed for the earliest deadline only
    rig.thread.advance(4999ms);
    CHECK(rig.replies().empty());
    rig.thread.advance(1ms);
    auto replies = rig.replies();
    REQUIRE(replies.size() == 1);
    CHECK(replies[0].rid == "1");
    CHECK(replies[0].status == 504);
    const auto body = nlohmann::json::parse(replies[0].payload);
    CHECK(body["errorCode"] == 504);
    CHECK(body["message"].is_string());
    CHECK(rig.counters.methods_timed_out == 1);
    CHECK(rig.thread.timers() == 1);  // now armed for the second call

    // A call due sooner than the armed timer gets its own; the later timer then does nothing.
    REQUIRE(rig.calls.handed({"dev", "fast", "3", "{}"}, 1s));
    rig.thread.advance(1s);
    replies = rig.replies();
    REQUIRE(replies.size() == 2);
    CHECK(replies[1].rid == "3");
    rig.thread.advance(2s);
    replies = rig.replies();
    REQUIRE(replies.size() == 3);
    CHECK(replies[2].rid == "2");
    CHECK(rig.counters.methods_timed_out == 3);
    rig.thread.advance(60s);
    CHECK(rig.replies().size() == 3);  // each call answered once

    // A reply after the 504 has nothing to answer.
    rig.calls.post_reply(reply("dev", "1"), "t/dev/reply");
    CHECK(rig.replies().size() == 3);
    CHECK(unmatched(rig.counters) == 1);
}

TEST_CASE("method calls: a duplicate rid is counted and not handed to the device again") {
    Calls rig;
    REQUIRE(rig.calls.handed({"dev", "reboot", "5", "{}"}, 10s));
    CHECK_FALSE(rig.calls.handed({"dev", "reboot", "5", "{}"}, 10s));
    CHECK(rig.counters.downlink_failed == 1);
    CHECK(rig.calls.pending() == 1);
    rig.calls.post_reply(reply("dev", "5"), "t/dev/reply");
    CHECK(rig.replies().size() == 1);  // one answer for the rid
}

TEST_CASE("method calls: a lost session forgets its calls, no reply or 504 follows") {
    Calls rig;
    REQUIRE(rig.calls.handed({"dev", "reboot", "1", "{}"}, 5s));
    REQUIRE(rig.calls.handed({"other", "reboot", "1", "{}"}, 5s));
    rig.calls.session_lost("dev");
    CHECK(rig.calls.pending() == 1);
    rig.calls.post_reply(reply("dev", "1"), "t/dev/reply");
    CHECK(unmatched(rig.counters) == 1);
    rig.thread.advance(5s);
    const auto replies = rig.replies();
    REQUIRE(replies.size() == 1);  // only the other device's call timed out
    CHECK(replies[0].device_id == "other");
    CHECK(replies[0].status == 504);
    CHECK(rig.counters.methods_timed_out == 1);
}

TEST_CASE("method calls: a call that never reached the device is answered with the reason") {
    Calls rig;
    rig.calls.refuse({"dev", "a/b", "4", "{}"}, 400, "invalid_local_topic: a/b");
    REQUIRE(rig.calls.handed({"dev", "reboot", "5", "{}"}, 10s));
    rig.calls.withdraw({"dev", "reboot", "5", "{}"}, 503, "the local broker did not take it");
    const auto replies = rig.replies();
    REQUIRE(replies.size() == 2);
    CHECK(replies[0].status == 400);
    CHECK(nlohmann::json::parse(replies[0].payload)["error"] == "invalid_local_topic: a/b");
    CHECK(replies[1].status == 503);
    CHECK(rig.calls.pending() == 0);
    rig.thread.advance(20s);
    CHECK(rig.replies().size() == 2);  // the withdrawn call does not time out as well
}

}  // namespace hubgate::test
