#pragma once
// Fakes for session unit tests: a hand-driven clock, an upstream that records what the session
// asked for (and lets the test play the hub's answers), and a listener that records downlinks.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gateway/session/clock.hpp"
#include "gateway/session/session_listener.hpp"
#include "gateway/transport/upstream.hpp"

namespace hubgate::session::test {

class FakeClock final : public Clock {
  public:
    SteadyTime now() const override { return steady_; }
    WallTime wall_now() const override { return wall_; }
    void advance(Millis by) {
        steady_ += by;
        wall_ += by;
    }

  private:
    SteadyTime steady_ = SteadyTime(std::chrono::hours(1000));
    WallTime wall_ = WallTime(std::chrono::seconds(1'800'000'000));
};

struct FakePublish {
    std::string topic;
    std::string payload;
    int qos = 0;
    uint64_t tag = 0;
};

// What one fake connection was asked to do; outlives the connection.
struct FakeConnectionRecord {
    std::string server_uri;
    std::string client_id;
    transport::UpstreamEvents* events = nullptr;
    std::vector<transport::ConnectRequest> connects;
    std::vector<std::vector<std::string>> subscriptions;
    std::vector<uint64_t> subscribe_tags;
    std::vector<FakePublish> publishes;
    int disconnects = 0;
    bool destroyed = false;
};

class FakeConnection final : public transport::UpstreamConnection {
  public:
    explicit FakeConnection(std::shared_ptr<FakeConnectionRecord> record) : record_(record) {}
    ~FakeConnection() override { record_->destroyed = true; }
    void connect(const transport::ConnectRequest& request) override {
        record_->connects.push_back(request);
    }
    void disconnect() override { record_->disconnects++; }
    void subscribe(const std::vector<std::string>& filters, int, uint64_t tag) override {
        record_->subscriptions.push_back(filters);
        record_->subscribe_tags.push_back(tag);
    }
    void publish(std::string topic, std::string payload, int qos, uint64_t tag) override {
        record_->publishes.push_back({std::move(topic), std::move(payload), qos, tag});
    }

  private:
    std::shared_ptr<FakeConnectionRecord> record_;
};

class FakeUpstreamFactory final : public transport::UpstreamFactory {
  public:
    std::unique_ptr<transport::UpstreamConnection> create(
        const std::string& server_uri, const std::string& client_id,
        transport::UpstreamEvents& events) override {
        auto record = std::make_shared<FakeConnectionRecord>();
        record->server_uri = server_uri;
        record->client_id = client_id;
        record->events = &events;
        records.push_back(record);
        by_device[client_id] = record;
        return std::make_unique<FakeConnection>(record);
    }

    FakeConnectionRecord& device(const std::string& id) { return *by_device.at(id); }
    size_t total_connects() const {
        size_t n = 0;
        for (const auto& r : records) {
            n += r->connects.size();
        }
        return n;
    }

    std::vector<std::shared_ptr<FakeConnectionRecord>> records;
    std::map<std::string, std::shared_ptr<FakeConnectionRecord>> by_device;
};

class RecordingListener final : public SessionListener {
  public:
    void on_c2d(const C2dMessage& m) override { c2d.push_back(m); }
    void on_method(const MethodCall& m) override { methods.push_back(m); }
    void on_desired(const DesiredUpdate& u) override { desired.push_back(u); }
    void on_state(const std::string& device, SessionState s) override {
        states.emplace_back(device, s);
    }

    std::vector<C2dMessage> c2d;
    std::vector<MethodCall> methods;
    std::vector<DesiredUpdate> desired;
    std::vector<std::pair<std::string, SessionState>> states;
};

}  // namespace hubgate::session::test
