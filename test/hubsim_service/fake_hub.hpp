#pragma once
// A HubService that records what the service API asked of it and answers canned results, so
// the HTTPS layer (routing, auth, JSON) is tested without a broker.

#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "hubsim/common/hub_service.hpp"

namespace hubsim::test {

class FakeHub final : public HubService {
  public:
    struct Call {
        std::string name;
        std::string id;
        json body;
    };

    std::string owner_key;
    std::string registry_reader_key;  // policy "reader" holding RegistryRead only
    Faults current_faults;
    bool throw_on_get_twin = false;

    std::vector<Call> calls() const {
        std::lock_guard lock(mutex_);
        return calls_;
    }

    ServiceResult get_device(const std::string& id) override {
        return record("get_device", id, {}, {200, {{"deviceId", id}, {"status", "enabled"}}});
    }
    ServiceResult put_device(const std::string& id, const json& identity) override {
        return record("put_device", id, identity, {200, identity});
    }
    ServiceResult delete_device(const std::string& id) override {
        return record("delete_device", id, {}, {204, {}});
    }
    ServiceResult list_devices() override {
        return record("list_devices", "", {}, {200, json::array({{{"deviceId", "dev1"}}})});
    }
    ServiceResult get_twin(const std::string& id) override {
        if (throw_on_get_twin)
            throw std::runtime_error("hub exploded");
        return record("get_twin", id, {},
                      {200, {{"deviceId", id}, {"properties", {{"desired", {{"$version", 1}}}}}}});
    }
    ServiceResult patch_twin(const std::string& id, const json& patch) override {
        return record("patch_twin", id, patch, {200, {{"deviceId", id}}});
    }
    ServiceResult replace_twin(const std::string& id, const json& twin) override {
        return record("replace_twin", id, twin, {200, {{"deviceId", id}}});
    }
    ServiceResult invoke_method(const std::string& id, const json& request) override {
        if (id == "offline") {
            return record("invoke_method", id, request,
                          {404, {{"Message", "ErrorCode:DeviceNotOnline;offline"}}});
        }
        return record("invoke_method", id, request,
                      {200, {{"status", 200}, {"payload", {{"ok", true}}}}});
    }
    ServiceResult send_c2d(const std::string& id, const C2dRequest& message) override {
        json body{{"payload", message.payload}, {"properties", message.properties}};
        if (message.message_id)
            body["messageId"] = *message.message_id;
        if (message.correlation_id)
            body["correlationId"] = *message.correlation_id;
        if (message.ttl)
            body["ttlSeconds"] = message.ttl->count();
        return record("send_c2d", id, body, {200, {{"messageId", "m1"}}});
    }
    ServiceResult telemetry(uint64_t after, std::chrono::milliseconds wait,
                            const std::optional<std::string>& device) override {
        json body{{"after", after}, {"waitMs", wait.count()}};
        if (device)
            body["device"] = *device;
        // A payload that is not UTF-8: the service must still answer valid JSON.
        json message{{"sequence", after + 1},
                     {"deviceId", device.value_or("dev1")},
                     {"payload", std::string("\xff\xfe", 2)}};
        return record("telemetry", device.value_or(""), body,
                      {200, {{"messages", json::array({message})}, {"last", after + 1}}});
    }
    ServiceResult connections() override {
        return record("connections", "", {},
                      {200, {{"devices", json::array()}, {"log", json::array()}}});
    }
    ServiceResult c2d_state(const std::string& id) override {
        return record("c2d_state", id, {},
                      {200,
                       {{"pending", json::array()},
                        {"completed", json::array()},
                        {"rejected", json::array()}}});
    }
    ServiceResult kick(const std::string& id) override {
        return record("kick", id, {}, {200, {{"kicked", id}}});
    }
    ServiceResult set_faults(const Faults& faults) override {
        {
            std::lock_guard lock(mutex_);
            current_faults = faults;
        }
        return record("set_faults", "", {}, {200, json::object()});
    }
    Faults faults() override {
        std::lock_guard lock(mutex_);
        return current_faults;
    }
    std::optional<std::string> policy_key(const std::string& name,
                                          const std::string& right) override {
        if (name == "iothubowner")
            return owner_key;
        if (name == "reader" && right == "RegistryRead")
            return registry_reader_key;
        return std::nullopt;
    }
    std::string hostname() override { return "fakehub.azure-devices.net"; }

  private:
    ServiceResult record(const std::string& name, const std::string& id, const json& body,
                         ServiceResult result) {
        std::lock_guard lock(mutex_);
        calls_.push_back({name, id, body});
        return result;
    }

    mutable std::mutex mutex_;
    std::vector<Call> calls_;
};

}  // namespace hubsim::test
