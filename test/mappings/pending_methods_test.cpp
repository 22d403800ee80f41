#include <doctest/doctest.h>

#include "hubgate/mappings/pending_methods.hpp"

using namespace hubgate::mappings;
using Clock = std::chrono::steady_clock;

namespace {

const Clock::time_point kStart{};

PendingMethods three_requests() {
    PendingMethods pending;
    pending.add({"d1", "reboot", "r1", kStart + std::chrono::seconds(10)});
    pending.add({"d1", "ping", "r2", kStart + std::chrono::seconds(20)});
    pending.add({"d1", "reboot", "r3", kStart + std::chrono::seconds(30)});
    return pending;
}

UplinkRoute reply(std::string method, std::string rid, bool oldest) {
    UplinkRoute route;
    route.kind = UplinkKind::method_reply;
    route.device_id = "d1";
    route.method = std::move(method);
    route.request_id = std::move(rid);
    route.reply_to_oldest_pending = oldest;
    return route;
}

}  // namespace

TEST_CASE("replies correlate by request id") {
    PendingMethods pending = three_requests();
    const auto taken = pending.take_for(reply("reboot", "r3", false));
    REQUIRE(taken);
    CHECK(taken->rid == "r3");
    CHECK_FALSE(pending.take_for(reply("reboot", "r3", false)));  // answered once only
    CHECK_FALSE(pending.take("d2", "r1"));
    CHECK(pending.size() == 2);
}

TEST_CASE("replies without a request id answer the oldest pending request of that method") {
    PendingMethods pending = three_requests();
    CHECK(pending.take_for(reply("reboot", "", true))->rid == "r1");
    CHECK(pending.take_for(reply("reboot", "", true))->rid == "r3");
    CHECK_FALSE(pending.take_for(reply("reboot", "", true)));
    CHECK(pending.take_for(reply("", "", true))->rid == "r2");  // any method
}

TEST_CASE("expired requests are returned once") {
    PendingMethods pending = three_requests();
    const auto expired = pending.expire(kStart + std::chrono::seconds(20));
    REQUIRE(expired.size() == 2);
    CHECK(expired[0].rid == "r1");
    CHECK(expired[1].rid == "r2");
    CHECK(pending.expire(kStart + std::chrono::seconds(20)).empty());
    CHECK(pending.size() == 1);
}
