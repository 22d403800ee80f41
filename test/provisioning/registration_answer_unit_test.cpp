// DPS's answer bodies (gateway/provisioning/registration_answer.cpp) and the assignment record.
#include <doctest/doctest.h>

#include "gateway/provisioning/assignment.hpp"
#include "gateway/provisioning/registration_answer.hpp"

using namespace hubgate::provisioning;

TEST_CASE("the answers of a registration: assigning, assigned, failed, disabled") {
    std::string error;
    auto answer =
        parse_registration_answer(R"({"operationId":"4.abc","status":"assigning"})", error);
    REQUIRE(answer);
    CHECK(answer->status == RegistrationStatus::Assigning);
    CHECK(answer->operation_id == "4.abc");

    answer = parse_registration_answer(R"({"operationId":"4.abc","status":"assigned",
        "registrationState":{"registrationId":"s1","assignedHub":"h.azure-devices.net",
        "deviceId":"s1","status":"assigned","substatus":"initialAssignment",
        "createdDateTimeUtc":"2026-12-05T13:00:00Z","etag":"IjE4MDAwMDAwMDAi"}})",
                                       error);
    REQUIRE(answer);
    CHECK(answer->status == RegistrationStatus::Assigned);
    CHECK(answer->assigned_hub == "h.azure-devices.net");
    CHECK(answer->device_id == "s1");
    CHECK(answer->substatus == "initialAssignment");
    CHECK(answer->created == "2026-12-05T13:00:00Z");
    CHECK(answer->etag == "IjE4MDAwMDAwMDAi");

    answer = parse_registration_answer(
        R"({"operationId":"x","status":"failed","registrationState":{"errorCode":400209,
        "errorMessage":"Custom allocation failed"}})",
        error);
    REQUIRE(answer);
    CHECK(answer->status == RegistrationStatus::Failed);
    CHECK(answer->error_code == 400209);
    CHECK(answer->error_message == "Custom allocation failed");

    answer = parse_registration_answer(R"({"operationId":"x","status":"disabled"})", error);
    REQUIRE(answer);
    CHECK(answer->status == RegistrationStatus::Disabled);

    // An error answer (429, 5xx) has no status: its code and message are kept.
    answer = parse_registration_answer(R"({"errorCode":429001,"message":"throttled"})", error);
    REQUIRE(answer);
    CHECK(answer->error_code == 429001);
    CHECK(answer->error_message == "throttled");
}

TEST_CASE("answers that cannot be used are refused with a reason, never a crash") {
    for (const char* bad :
         {"", "[]", "not json", R"({"status":"wandering"})", R"({"status":"assigned"})",
          R"({"status":"assigned","registrationState":{"assignedHub":"h"}})",
          R"({"status":"assigned","registrationState":{"assignedHub":1,"deviceId":"d"}})"}) {
        CAPTURE(bad);
        std::string error;
        CHECK_FALSE(parse_registration_answer(bad, error));
        CHECK_FALSE(error.empty());
    }
    // Fields of the wrong type count as absent.
    std::string error;
    const auto answer = parse_registration_answer(
        R"({"operationId":7,"status":"assigning","errorCode":"x"})", error);
    REQUIRE(answer);
    CHECK(answer->operation_id.empty());
    CHECK(answer->error_code == 0);
}

TEST_CASE("an assignment survives its JSON form, and incomplete ones are refused") {
    const Assignment kept{
        "s1",          "h.azure-devices.net", "s1", "initialAssignment", "2026-12-05T13:00:00Z",
        1'800'000'000, "IjE4MDAwMDAwMDAi"};
    const auto back = assignment_from_json(to_json(kept));
    REQUIRE(back);
    CHECK(back->registration_id == "s1");
    CHECK(back->assigned_hub == "h.azure-devices.net");
    CHECK(back->device_id == "s1");
    CHECK(back->substatus == "initialAssignment");
    CHECK(back->created == "2026-12-05T13:00:00Z");
    CHECK(back->provisioned_at == 1'800'000'000);
    CHECK(back->etag == "IjE4MDAwMDAwMDAi");
    CHECK_FALSE(back->accepted_by_hub);
    auto accepted = kept;
    accepted.accepted_by_hub = true;
    CHECK(assignment_from_json(to_json(accepted))->accepted_by_hub);
    auto older = to_json(kept);  // a file of an earlier version: its device had connected
    older.erase("acceptedByHub");
    CHECK(assignment_from_json(older)->accepted_by_hub);
    auto partial = to_json(kept);
    partial.erase("assignedHub");
    CHECK_FALSE(assignment_from_json(partial));
    CHECK_FALSE(assignment_from_json(nlohmann::json::array()));
    partial = to_json(kept);
    partial["deviceId"] = 5;
    CHECK_FALSE(assignment_from_json(partial));
}
