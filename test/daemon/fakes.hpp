#pragma once
// Fakes of the bridge's two edges for unit tests: the device sessions (HubLink) and the local
// broker (LocalPublisher), thread-safe (the spool sender calls from its own thread); and a hub
// thread driven by hand (HandThread).

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "gateway/core/hub_link.hpp"
#include "gateway/core/local_publisher.hpp"
#include "gateway/core/method_calls.hpp"
#include "gateway/session/clock.hpp"
#include "hubgate/iothub/property_bag.hpp"

namespace hubgate::test {

// Records every call; telemetry is answered by `answer` (Acked by default) at once.
class FakeHub final : public core::HubLink {
  public:
    struct Sent {
        std::string device_id;
        uint64_t handle;
        session::Properties properties;
        std::string payload;
    };
    struct Reply {
        std::string device_id, rid;
        int status;
        std::string payload;
    };

    // The status twin operations are answered with (0: no answer, the session is offline).
    std::atomic<int> twin_status{200};

    std::function<session::PublishStatus(const Sent&)> answer = [](const Sent&) {
        return session::PublishStatus::Acked;
    };

    void ensure_session(const std::string& device_id, const session::DeviceNeeds& needs) override {
        std::lock_guard lock(mutex_);
        ensured.emplace_back(device_id, needs);
    }
    void send_telemetry(const std::string& device_id, uint64_t handle,
                        session::Properties properties, std::string_view message_id,
                        std::string payload, session::PublishCallback done) override {
        // Recorded as the hub sees it: the id is in the bag unless the properties carry one.
        if (!message_id.empty() && !iothub::find_property(properties, "$.mid")) {
            properties.emplace_back("$.mid", std::string(message_id));
        }
        Sent call{device_id, handle, std::move(properties), std::move(payload)};
        const auto status = answer(call);
        {
            std::lock_guard lock(mutex_);
            sent.push_back(call);
        }
        changed_.notify_all();
        done(handle, status);
    }
    void patch_reported(const std::string& device_id, std::string body,
                        session::TwinCallback done) override {
        const int status = twin_status == 200 ? 204 : twin_status.load();
        {
            std::lock_guard lock(mutex_);
            patches.emplace_back(device_id, nlohmann::json::parse(body));
            patch_bodies.push_back(std::move(body));
        }
        // Answered before waiters wake, so a test sees the outcome already posted.
        done({status, {}, 2, status == 0 ? "device not connected" : ""});
        changed_.notify_all();
    }
    void get_twin(const std::string& device_id, session::TwinCallback done) override {
        const int status = twin_status == 204 ? 200 : twin_status.load();
        {
            std::lock_guard lock(mutex_);
            twin_gets.push_back(device_id);
        }
        if (status == 0) {
            done({0, {}, std::nullopt, "device not connected"});
        } else {
            done({status, {{"desired", {{"x", 1}}}}, std::nullopt, {}});
        }
        changed_.notify_all();
    }
    bool reply_method(const std::string& device_id, const std::string& rid, int status,
                      const std::string& payload) override {
        {
            std::lock_guard lock(mutex_);
            replies.push_back({device_id, rid, status, payload});
        }
        changed_.notify_all();
        return true;
    }

    // Waits until `done` holds (checked under the lock), at most 20 s (sanitizer runs are slow).
    bool wait(const std::function<bool()>& done) {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, std::chrono::seconds(20), done);
    }
    template <class F>
    auto locked(F&& f) {
        std::lock_guard lock(mutex_);
        return f();
    }

    std::vector<std::pair<std::string, session::DeviceNeeds>> ensured;
    std::vector<Sent> sent;
    std::vector<std::pair<std::string, nlohmann::json>> patches;
    std::vector<std::string> patch_bodies;  // the text of each PATCH, as sent
    std::vector<std::string> twin_gets;
    std::vector<Reply> replies;

  private:
    std::mutex mutex_;
    std::condition_variable changed_;
};

// Records local publishes; `accept` = false makes them fail.
class FakeLocal final : public core::LocalPublisher {
  public:
    struct Published {
        std::string topic, payload;
        int qos;
        bool retain;
        std::uint64_t ticket = 0;
    };
    bool publish(const std::string& topic, const std::string& payload, int qos, bool retain,
                 std::string& error) override {
        return publish_kept(topic, payload, qos, retain, 0, error);
    }
    bool publish_kept(const std::string& topic, const std::string& payload, int qos, bool retain,
                      std::uint64_t ticket, std::string& error) override {
        std::lock_guard lock(mutex_);
        if (!accept) {
            error = "refused by the fake";
            return false;
        }
        published.push_back({topic, payload, qos, retain, ticket});
        return true;
    }
    std::vector<Published> snapshot() {
        std::lock_guard lock(mutex_);
        return published;
    }
    bool accept = true;

  private:
    std::mutex mutex_;
    std::vector<Published> published;
};

// The hub thread of MethodCalls, driven by the test: tasks run at once on the caller's thread,
// timed tasks when advance() moves the clock to them. Single-threaded.
class HandThread final : public session::Clock {
  public:
    session::SteadyTime now() const override { return now_; }
    session::WallTime wall_now() const override { return std::chrono::system_clock::now(); }

    core::HubThread thread() {
        return {[](std::function<void()> task) { task(); },
                [this](session::SteadyTime when, std::function<void()> task) {
                    timers_.emplace(when, std::move(task));
                },
                *this};
    }
    // Moves the clock on by `step`, running the timed tasks that come due on the way.
    void advance(session::Millis step) {
        const auto until = now_ + step;
        while (!timers_.empty() && timers_.begin()->first <= until) {
            auto due = timers_.begin();
            now_ = std::max(now_, due->first);
            auto task = std::move(due->second);
            timers_.erase(due);
            task();
        }
        now_ = until;
    }
    std::size_t timers() const { return timers_.size(); }

  private:
    session::SteadyTime now_ = session::SteadyTime{} + std::chrono::hours(1);
    std::multimap<session::SteadyTime, std::function<void()>> timers_;
};

}  // namespace hubgate::test
