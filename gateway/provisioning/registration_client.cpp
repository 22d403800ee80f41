// The DPS registration exchange (see registration_client.hpp), as a blocking loop over the
// events of one upstream connection.
#include "gateway/provisioning/registration_client.hpp"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <variant>

#include "gateway/session/retry_policy.hpp"
#include "hubgate/iothub/dps_credentials.hpp"
#include "hubgate/iothub/dps_topics.hpp"
#include "hubgate/iothub/sas_token.hpp"

namespace hubgate::provisioning {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr uint64_t kSubscribeTag = 1;
constexpr milliseconds kWaitSlice{200};  // how often a wait looks at `stopping`

struct ConnectEvent {
    transport::ConnectResult result;
};
struct LostEvent {
    std::string cause;
};
struct MessageEvent {
    std::string topic;
    std::string payload;
};
struct SubscribeEvent {
    bool ok = false;
};
using Event = std::variant<ConnectEvent, LostEvent, MessageEvent, SubscribeEvent>;

// Hands the connection's events (from its I/O thread) to the registration's thread.
class EventQueue final : public transport::UpstreamEvents {
  public:
    void on_connect_result(const transport::ConnectResult& result) override {
        push(ConnectEvent{result});
    }
    void on_connection_lost(const std::string& cause, transport::LossOrigin) override {
        push(LostEvent{cause});
    }
    bool on_message(std::string topic, std::string payload) override {
        push(MessageEvent{std::move(topic), std::move(payload)});
        return true;
    }
    void on_subscribe_result(uint64_t, bool ok) override { push(SubscribeEvent{ok}); }
    void on_publish_result(uint64_t, bool, const std::string&) override {}
    void on_disconnected() override {}

    // The next event before `until`; nullopt on time-out or when `stopping` is set.
    std::optional<Event> next(Clock::time_point until, const std::atomic<bool>& stopping) {
        std::unique_lock lock(mutex_);
        while (events_.empty()) {
            if (stopping.load() || Clock::now() >= until)
                return std::nullopt;
            cv_.wait_until(lock, std::min(until, Clock::now() + kWaitSlice));
        }
        Event event = std::move(events_.front());
        events_.pop_front();
        return event;
    }

  private:
    void push(Event event) {
        {
            std::lock_guard lock(mutex_);
            events_.push_back(std::move(event));
        }
        cv_.notify_one();
    }

    std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<Event> events_;
};

class Registration {
  public:
    Registration(transport::UpstreamFactory& factory, const RegistrationSettings& settings,
                 const RegistrationRequest& request, const std::atomic<bool>& stopping)
        : settings_(settings),
          request_(request),
          stopping_(stopping),
          deadline_(Clock::now() + settings.deadline),
          backoff_(session::RetryPolicy(settings.backoff)),
          random_(session::default_random()),
          connection_(factory.create(settings.server_uri, request.registration_id, events_)) {}

    ~Registration() {
        // Destroying the connection closes its socket; no event follows (MosquittoLoop).
        connection_.reset();
    }

    RegistrationResult run() {
        if (!connect() || !subscribe())
            return std::move(result_);
        send_register();
        while (true) {
            auto event = events_.next(wake_at_ ? *wake_at_ : deadline_, stopping_);
            if (!event) {
                if (stopping_.load())
                    return end(RegistrationOutcome::Stopped, "the daemon is stopping");
                if (Clock::now() >= deadline_)
                    return end(RegistrationOutcome::Error, "no final answer before the deadline");
                resend();  // a wait (retry-after, back-off) is over
                continue;
            }
            if (auto* lost = std::get_if<LostEvent>(&*event))
                return end(RegistrationOutcome::Error, "DPS closed the connection: " + lost->cause);
            if (auto* message = std::get_if<MessageEvent>(&*event)) {
                if (handle(*message))
                    return std::move(result_);
            }
        }
    }

  private:
    bool connect() {
        transport::ConnectRequest connect;
        connect.username = iothub::dps_username(settings_.id_scope, request_.registration_id,
                                                settings_.client_version);
        const bool x509 = !request_.certificate.cert_file.empty();
        if (x509) {
            connect.tls.cert_file = request_.certificate.cert_file;
            connect.tls.key_file = request_.certificate.key_file;
        } else {
            try {
                connect.password = iothub::make_registration_sas_token(
                    settings_.id_scope, request_.registration_id, request_.device_key,
                    iothub::expiry_after(settings_.token_ttl));
            } catch (const iothub::SasError& e) {
                end(RegistrationOutcome::Error, e.what());
                return false;
            }
        }
        connect.tls.ca_file = settings_.ca_file;
        connect.connect_timeout = settings_.connect_timeout;
        connect.keep_alive = std::chrono::seconds(60);
        connection_->connect(connect);
        const auto until =
            std::min(deadline_, Clock::now() + settings_.connect_timeout + std::chrono::seconds(5));
        while (auto event = events_.next(until, stopping_)) {
            if (auto* answer = std::get_if<ConnectEvent>(&*event)) {
                if (answer->result.ok)
                    return true;
                end(RegistrationOutcome::Error,
                    answer->result.connack_code == 5 || answer->result.connack_code == 4
                        ? "DPS refused the registration's credentials (CONNACK " +
                              std::to_string(answer->result.connack_code) +
                              (x509 ? "): check id_scope and the group's CA certificate"
                                    : "): check id_scope and the group key")
                        : "cannot connect to DPS: " + answer->result.message);
                return false;
            }
        }
        end(stopping_.load() ? RegistrationOutcome::Stopped : RegistrationOutcome::Error,
            stopping_.load() ? "the daemon is stopping" : "no CONNACK from DPS in time");
        return false;
    }

    bool subscribe() {
        connection_->subscribe({std::string(iothub::kDpsResponseFilter)}, 1, kSubscribeTag);
        while (auto event = events_.next(deadline_, stopping_)) {
            if (auto* answer = std::get_if<SubscribeEvent>(&*event)) {
                if (answer->ok)
                    return true;
                end(RegistrationOutcome::Error, "DPS refused the answer subscription");
                return false;
            }
            if (auto* lost = std::get_if<LostEvent>(&*event)) {
                end(RegistrationOutcome::Error, "DPS closed the connection: " + lost->cause);
                return false;
            }
        }
        end(stopping_.load() ? RegistrationOutcome::Stopped : RegistrationOutcome::Error,
            stopping_.load() ? "the daemon is stopping" : "no SUBACK from DPS in time");
        return false;
    }

    std::string next_rid() { return std::to_string(++rid_counter_); }

    void send_register() {
        nlohmann::json body{{"registrationId", request_.registration_id}};
        if (!request_.payload_json.empty()) {
            auto payload = nlohmann::json::parse(request_.payload_json, nullptr, false);
            if (!payload.is_discarded())
                body["payload"] = std::move(payload);
        }
        rid_ = next_rid();
        wake_at_.reset();
        connection_->publish(iothub::dps_register_topic(rid_), body.dump(), 1, 0);
    }

    void send_poll() {
        rid_ = next_rid();
        wake_at_.reset();
        connection_->publish(iothub::dps_operation_status_topic(rid_, operation_id_), "", 1, 0);
    }

    // After a wait: the request that was answered "later" goes again.
    void resend() {
        if (operation_id_.empty())
            send_register();
        else
            send_poll();
    }

    void wait(std::optional<int> retry_after_seconds, bool backing_off) {
        milliseconds wait = settings_.default_poll;
        if (retry_after_seconds)
            wait = std::chrono::seconds(*retry_after_seconds);
        else if (backing_off)
            wait = backoff_.next(random_());
        rid_.clear();  // an answer that comes late to the old request is not waited for
        wake_at_ = Clock::now() + wait;
    }

    // True when the registration has ended.
    bool handle(const MessageEvent& message) {
        const auto topic = iothub::parse_dps_response_topic(message.topic);
        if (!topic || topic->request_id != rid_)
            return false;  // not an answer, or an answer to an earlier request
        std::string error;
        const auto answer = parse_registration_answer(message.payload, error);
        const int status = topic->status;
        if (status == 429) {
            result_.throttled++;
            wait(topic->retry_after_seconds, true);
            return false;
        }
        if (status >= 500) {
            wait(std::nullopt, true);
            return false;
        }
        if (status == 404 && !operation_id_.empty()) {
            operation_id_.clear();  // DPS forgot the operation: register again
            send_register();
            return false;
        }
        if (status >= 300) {
            end(RegistrationOutcome::Failed,
                "DPS refused the request with " + std::to_string(status) +
                    (answer && !answer->error_message.empty() ? ": " + answer->error_message
                                                              : std::string()));
            return true;
        }
        if (!answer) {
            end(RegistrationOutcome::Error, "a DPS answer that cannot be read: " + error);
            return true;
        }
        result_.answer = *answer;
        switch (answer->status) {
            case RegistrationStatus::Assigned:
                end(RegistrationOutcome::Assigned,
                    "assigned to " + answer->assigned_hub + " as " + answer->device_id);
                return true;
            case RegistrationStatus::Failed:
                end(RegistrationOutcome::Failed,
                    "DPS failed the registration" + (answer->error_message.empty()
                                                         ? std::string()
                                                         : ": " + answer->error_message));
                return true;
            case RegistrationStatus::Disabled:
                end(RegistrationOutcome::Disabled, "the enrollment is disabled in DPS");
                return true;
            case RegistrationStatus::Assigning:
            case RegistrationStatus::Unassigned:
                if (answer->operation_id.empty()) {
                    end(RegistrationOutcome::Error, "a DPS answer without an operationId");
                    return true;
                }
                operation_id_ = answer->operation_id;
                backoff_.reset();
                wait(topic->retry_after_seconds, false);
                return false;
        }
        return false;
    }

    RegistrationResult end(RegistrationOutcome outcome, std::string message) {
        result_.outcome = outcome;
        result_.message = std::move(message);
        return result_;
    }

    const RegistrationSettings& settings_;
    const RegistrationRequest& request_;
    const std::atomic<bool>& stopping_;
    const Clock::time_point deadline_;
    session::Backoff backoff_;
    session::UniformRandom random_;
    EventQueue events_;
    std::unique_ptr<transport::UpstreamConnection> connection_;
    RegistrationResult result_;
    std::string rid_;           // the request whose answer is awaited; empty while waiting
    std::string operation_id_;  // from the 202 answer to the register request
    uint64_t rid_counter_ = 0;
    std::optional<Clock::time_point> wake_at_;
};

}  // namespace

std::string_view outcome_name(RegistrationOutcome outcome) {
    switch (outcome) {
        case RegistrationOutcome::Assigned:
            return "assigned";
        case RegistrationOutcome::Failed:
            return "failed";
        case RegistrationOutcome::Disabled:
            return "disabled";
        case RegistrationOutcome::Error:
            return "error";
        case RegistrationOutcome::Stopped:
            return "stopped";
    }
    return "unknown";
}

RegistrationResult register_device(transport::UpstreamFactory& factory,
                                   const RegistrationSettings& settings,
                                   const RegistrationRequest& request,
                                   const std::atomic<bool>& stopping) {
    Registration registration(factory, settings, request, stopping);
    return registration.run();
}

}  // namespace hubgate::provisioning
