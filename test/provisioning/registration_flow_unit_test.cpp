// The registration exchange's decisions (gateway/provisioning/registration_client.cpp) against a
// scripted DPS: a fake upstream connection answers each request with the next scripted answer.
// The real DPS path (TLS, hubsim) is in registration_client_test.cpp.
#include <doctest/doctest.h>

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gateway/provisioning/registration_client.hpp"
#include "hubgate/iothub/dps_topics.hpp"

using namespace hubgate::provisioning;
using namespace std::chrono_literals;
namespace session = hubgate::session;
namespace transport = hubgate::transport;

namespace {

struct ScriptedAnswer {
    int status = 200;
    std::optional<int> retry_after;
    std::string body;
};

// What the fake DPS saw and what it answers next.
struct Script {
    std::deque<ScriptedAnswer> answers;
    std::vector<std::string> requests;  // topics published, in order
    int connack = 0;                    // 0: accepted
};

class ScriptedConnection final : public transport::UpstreamConnection {
  public:
    ScriptedConnection(Script& script, transport::UpstreamEvents& events)
        : script_(script), events_(events) {}
    void connect(const transport::ConnectRequest&) override {
        transport::ConnectResult result;
        result.ok = script_.connack == 0;
        result.connack_code = script_.connack;
        events_.on_connect_result(result);
    }
    void disconnect() override {}
    void subscribe(const std::vector<std::string>&, int, uint64_t tag) override {
        events_.on_subscribe_result(tag, true);
    }
    void publish(std::string topic, std::string, int, uint64_t) override {
        script_.requests.push_back(topic);
        if (script_.answers.empty())
            return;  // DPS stays silent
        const auto answer = script_.answers.front();
        script_.answers.pop_front();
        const auto request = hubgate::iothub::classify_dps_publish(topic);
        events_.on_message(hubgate::iothub::dps_response_topic(answer.status, request.request_id,
                                                               answer.retry_after),
                           answer.body);
    }

  private:
    Script& script_;
    transport::UpstreamEvents& events_;
};

class ScriptedFactory final : public transport::UpstreamFactory {
  public:
    explicit ScriptedFactory(Script& script) : script_(script) {}
    std::unique_ptr<transport::UpstreamConnection> create(
        const std::string&, const std::string&, transport::UpstreamEvents& events) override {
        return std::make_unique<ScriptedConnection>(script_, events);
    }

  private:
    Script& script_;
};

const std::string kAssigning = R"({"operationId":"op-1","status":"assigning"})";
const std::string kAssigned = R"({"operationId":"op-1","status":"assigned","registrationState":{
    "assignedHub":"h.azure-devices.net","deviceId":"s1","substatus":"initialAssignment"}})";

RegistrationResult run(Script& script, std::chrono::milliseconds deadline = 10s) {
    ScriptedFactory factory(script);
    RegistrationSettings settings;
    settings.server_uri = "ssl://dps.example:8883";
    settings.id_scope = "0ne00000A0A";
    settings.default_poll = 1ms;
    settings.deadline = deadline;
    settings.backoff = {session::Millis(1), session::Millis(2), 2.0};
    std::atomic<bool> stopping{false};
    return register_device(factory, settings,
                           {"s1", "kbbwk6MoamJYldA+HSnmfDk5vs4hRA5O7xh2jY3ERUU=", ""}, stopping);
}

bool is_poll(const std::string& topic) {
    return hubgate::iothub::classify_dps_publish(topic).kind ==
           hubgate::iothub::DpsRequestKind::operation_status;
}

}  // namespace

TEST_CASE("register, then poll the operation until it is assigned") {
    Script script;
    script.answers = {{202, 0, kAssigning}, {200, 0, kAssigning}, {200, std::nullopt, kAssigned}};
    const auto result = run(script);
    CHECK(result.outcome == RegistrationOutcome::Assigned);
    CHECK(result.answer.assigned_hub == "h.azure-devices.net");
    REQUIRE(script.requests.size() == 3);
    CHECK_FALSE(is_poll(script.requests[0]));
    CHECK(is_poll(script.requests[1]));
    CHECK(script.requests[2].find("operationId=op-1") != std::string::npos);
}

TEST_CASE("429 and 5xx answers are retried, the same request again") {
    Script script;
    script.answers = {{429, 0, R"({"errorCode":429001})"},
                      {503, std::nullopt, ""},
                      {202, 0, kAssigning},
                      {500, std::nullopt, ""},
                      {200, 0, kAssigned}};
    const auto result = run(script);
    CHECK(result.outcome == RegistrationOutcome::Assigned);
    CHECK(result.throttled == 1);
    REQUIRE(script.requests.size() == 5);
    CHECK_FALSE(is_poll(script.requests[1]));  // the register again, after 429 and after 503
    CHECK_FALSE(is_poll(script.requests[2]));
    CHECK(is_poll(script.requests[4]));  // the poll again after 500
}

TEST_CASE("an operation DPS no longer knows is registered anew") {
    Script script;
    script.answers = {{202, 0, kAssigning},
                      {404, 0, R"({"errorCode":404201})"},
                      {202, 0, kAssigning},
                      {200, 0, kAssigned}};
    CHECK(run(script).outcome == RegistrationOutcome::Assigned);
    REQUIRE(script.requests.size() == 4);
    CHECK_FALSE(is_poll(script.requests[2]));
}

TEST_CASE("refusals, failures and silence end the registration with a reason") {
    Script refused;
    refused.answers = {{400, 0, R"({"errorCode":400004,"message":"bad payload"})"}};
    auto result = run(refused);
    CHECK(result.outcome == RegistrationOutcome::Failed);
    CHECK(result.message.find("400: bad payload") != std::string::npos);

    Script failed;
    failed.answers = {{202, 0, kAssigning},
                      {200, 0,
                       R"({"operationId":"op-1","status":"failed","registrationState":{
                            "errorCode":400209,"errorMessage":"allocation failed"}})"}};
    result = run(failed);
    CHECK(result.outcome == RegistrationOutcome::Failed);
    CHECK(result.message.find("allocation failed") != std::string::npos);

    Script disabled;
    disabled.answers = {{200, 0, R"({"operationId":"op-1","status":"disabled"})"}};
    CHECK(run(disabled).outcome == RegistrationOutcome::Disabled);

    Script unauthorized;
    unauthorized.connack = 5;
    result = run(unauthorized);
    CHECK(result.outcome == RegistrationOutcome::Error);
    CHECK(result.message.find("CONNACK 5") != std::string::npos);

    Script silent;  // no answer at all
    result = run(silent, 300ms);
    CHECK(result.outcome == RegistrationOutcome::Error);
    CHECK(result.message == "no final answer before the deadline");

    Script garbled;
    garbled.answers = {{200, 0, "not json"}};
    CHECK(run(garbled).outcome == RegistrationOutcome::Error);
}
