// The invariant checker on hand-made ledgers: each kind reports what breaks it, excuses only
// what a hubsim restart lost, and passes when everything arrived.

#include <doctest/doctest.h>

#include "invariant_checker.hpp"

namespace hubgate::chaos {

namespace {

InvariantRow row(const Ledger& ledger, const std::string& kind) {
    return row_of(check_invariants(ledger), kind);
}

json twin_with(const json& reported, const json& desired = json::object()) {
    return {{"properties", {{"reported", reported}, {"desired", desired}}}};
}

}  // namespace

TEST_CASE("an acknowledged message the hub never received is lost") {
    Ledger ledger;
    ledger.devices["d1"].telemetry_acked = {1, 2, 3};
    ledger.hub_telemetry = {{"d1", 1, "m1"}, {"d1", 3, "m3"}};
    const auto lost = row(ledger, kUplinkLost);
    CHECK(lost.checked == 3);
    CHECK(lost.violations == 1);
    CHECK(lost.detail == "first d1#2");

    ledger.hub_telemetry.push_back({"d1", 2, "m2"});
    CHECK(row(ledger, kUplinkLost).violations == 0);
}

TEST_CASE("a duplicate must carry the first copy's $.mid") {
    Ledger ledger;
    ledger.devices["d1"].telemetry_acked = {1, 2};
    ledger.hub_telemetry = {{"d1", 1, "m1"}, {"d1", 2, "m2"}, {"d1", 1, "m1"}};
    auto duplicates = row(ledger, kUplinkDuplicateNewMid);
    CHECK(duplicates.checked == 1);
    CHECK(duplicates.violations == 0);

    ledger.hub_telemetry.push_back({"d1", 2, "other"});
    duplicates = row(ledger, kUplinkDuplicateNewMid);
    CHECK(duplicates.checked == 2);
    CHECK(duplicates.violations == 1);
    CHECK(row(ledger, kUplinkLost).violations == 0);
}

TEST_CASE("the final reported state is every patch merged, a null deleting") {
    Ledger ledger;
    auto& device = ledger.devices["d1"];
    device.reported = {{{{"a", 1}, {"b", 1}}, 0}, {{{"b", nullptr}, {"c", 3}}, 0}};
    device.final_twin = twin_with({{"a", 1}, {"c", 3}, {"$version", 4}});
    CHECK(row(ledger, kReportedState).violations == 0);

    SUBCASE("only the last patch applied") {
        device.final_twin = twin_with({{"c", 3}});
        CHECK(row(ledger, kReportedState).violations == 1);
    }
    SUBCASE("a deleted key still there") {
        device.final_twin = twin_with({{"a", 1}, {"b", 1}, {"c", 3}});
        CHECK(row(ledger, kReportedState).violations == 1);
    }
    SUBCASE("the twin could not be read") {
        device.final_twin.reset();
        CHECK(row(ledger, kReportedState).violations == 1);
    }
}

TEST_CASE("a reported key written only before a hub restart may be missing") {
    Ledger ledger;
    ledger.final_epoch = 1;
    auto& device = ledger.devices["d1"];
    device.reported = {{{{"a", 1}}, 0}, {{{"c", 3}}, 1}};
    device.final_twin = twin_with({{"c", 3}});
    const auto reported = row(ledger, kReportedState);
    CHECK(reported.violations == 0);
    CHECK(reported.excused == 1);

    device.final_twin = twin_with({{"a", 1}});  // the key written after the restart is missing
    CHECK(row(ledger, kReportedState).violations == 1);
}

TEST_CASE("desired versions are seen in order and the latest one arrives") {
    Ledger ledger;
    auto& device = ledger.devices["d1"];
    device.desired_sent = {{1, 0}, {2, 0}, {3, 0}};
    device.desired_seen = {1, 2, 2, 3};
    CHECK(row(ledger, kDesiredOrder).violations == 0);
    CHECK(row(ledger, kDesiredLatest).violations == 0);

    SUBCASE("a step backwards") {
        device.desired_seen = {1, 3, 2};
        CHECK(row(ledger, kDesiredOrder).violations == 1);
    }
    SUBCASE("the last version never seen") {
        device.desired_seen = {1, 2};
        CHECK(row(ledger, kDesiredLatest).violations == 1);
    }
    SUBCASE("an intermediate version superseded by a later one") {
        device.desired_seen = {1, 3};
        const auto latest = row(ledger, kDesiredLatest);
        CHECK(latest.violations == 0);
        CHECK(latest.detail == "1 earlier versions never seen (superseded)");
    }
    SUBCASE("the last version accepted before a hub restart is excused") {
        ledger.final_epoch = 1;
        device.desired_seen = {1};
        const auto latest = row(ledger, kDesiredLatest);
        CHECK(latest.violations == 0);
        CHECK(latest.excused == 1);
        CHECK(latest.detail == "1 earlier versions never seen (superseded)");
    }
}

TEST_CASE("the retained desired message holds the whole desired state") {
    Ledger ledger;
    auto& device = ledger.devices["d1"];
    device.desired_sent = {{1, 0}, {2, 0}};
    device.final_twin =
        twin_with(json::object(), {{"rate_s", 7}, {"mode", "eco"}, {"$version", 3}});
    device.desired_retained = json{{"$version", 3}, {"mode", "eco"}};
    CHECK(row(ledger, kDesiredRetained).violations == 1);

    device.desired_retained = json{{"$version", 3}, {"rate_s", 7}, {"mode", "eco"}};
    CHECK(row(ledger, kDesiredRetained).violations == 0);

    device.desired_retained.reset();
    CHECK(row(ledger, kDesiredRetained).violations == 1);
}

TEST_CASE("every accepted C2D message is delivered at least once") {
    Ledger ledger;
    ledger.final_epoch = 1;
    auto& device = ledger.devices["d1"];
    device.c2d_sent = {{"c1", 0}, {"c2", 1}, {"c3", 1}};
    device.c2d_seen = {"c2", "c2", "c3"};
    auto c2d = row(ledger, kC2dDelivered);
    CHECK(c2d.checked == 3);
    CHECK(c2d.violations == 0);
    CHECK(c2d.excused == 1);  // c1 died with the first hub
    CHECK(c2d.detail == "1 delivered twice");

    device.c2d_seen = {"c2"};
    CHECK(row(ledger, kC2dDelivered).violations == 1);
}

TEST_CASE("a method is answered or fails with a status, in time") {
    Ledger ledger;
    auto& methods = ledger.devices["d1"].methods;
    methods = {{200, 200, true, 100, 10000},
               {504, 0, false, 10100, 10000},
               {0, 0, false, 5, 10000},
               // hubgate's 504 for a device that did not answer, just before the hub's timeout
               {200, 504, false, 10018, 10000}};
    auto outcome = row(ledger, kMethodOutcome);
    CHECK(outcome.violations == 0);
    CHECK(outcome.detail == "1 answered, 1 x 504, 1 x device 504, 1 x no connection");

    methods.push_back({200, 200, false, 100, 10000, "{}"});  // a 200 without the device's answer
    methods.push_back({504, 0, false, 10000 + kMethodGraceMs + 1, 10000});  // left hanging
    outcome = row(ledger, kMethodOutcome);
    CHECK(outcome.violations == 2);
    CHECK(outcome.detail.find("; first d1: 200 after 100 ms (timeout 10000), answer {}") !=
          std::string::npos);
}

TEST_CASE("the table lists every kind with its counts") {
    Ledger ledger;
    ledger.devices["d1"].telemetry_acked = {1};
    const auto table = format_table(check_invariants(ledger));
    CHECK(table.find("invariant") == 0);
    CHECK(table.find(kUplinkLost) != std::string::npos);
    CHECK(table.find(kMethodOutcome) != std::string::npos);
    CHECK(table.find("first d1#1") != std::string::npos);
}

TEST_CASE("a poison message must be dead-lettered, never at the hub, after at most 2 deaths") {
    Ledger ledger;
    ledger.devices["d1"].telemetry_acked = {1, 2};
    ledger.hub_telemetry = {{"d1", 1, "m1"}, {"d1", 2, "m2"}};
    const std::string payload = R"({"seq":-1,"note":"crash-me"})";
    ledger.poison.push_back({"d1", "t/g0/s1/telemetry", payload, -1, true, 2});
    ledger.dead_letters.push_back({"t/g0/s1/telemetry", payload});
    auto poison = row(ledger, kPoisonDeadLettered);
    CHECK(poison.checked == 1);
    CHECK(poison.violations == 0);
    CHECK(poison.detail == "1 in the dead-letter folder, 1 x 2 deaths");
    // The marker message was acknowledged by the broker and never reached the hub: not "lost".
    CHECK(row(ledger, kUplinkLost).violations == 0);
    CHECK(row(ledger, kUplinkLost).checked == 2);

    SUBCASE("not in the dead-letter folder") {
        ledger.dead_letters.clear();
        CHECK(row(ledger, kPoisonDeadLettered).violations == 1);
    }
    SUBCASE("another payload on the same topic does not count") {
        ledger.dead_letters = {{"t/g0/s1/telemetry", R"({"seq":-2,"note":"crash-me"})"}};
        CHECK(row(ledger, kPoisonDeadLettered).violations == 1);
    }
    SUBCASE("forwarded to the hub") {
        ledger.hub_telemetry.push_back({"d1", -1, "m9"});
        CHECK(row(ledger, kPoisonDeadLettered).violations == 1);
    }
    SUBCASE("a crash loop") {
        ledger.poison.back().deaths = 3;
        poison = row(ledger, kPoisonDeadLettered);
        CHECK(poison.violations == 1);
        CHECK(poison.detail.find("3 deaths") != std::string::npos);
    }
    SUBCASE("one the broker never acknowledged is not judged") {
        ledger.poison.back().acked = false;
        ledger.dead_letters.clear();
        poison = row(ledger, kPoisonDeadLettered);
        CHECK(poison.checked == 0);
        CHECK(poison.violations == 0);
        CHECK(poison.detail.find("1 never acknowledged") != std::string::npos);
    }
}

}  // namespace hubgate::chaos
