// Calls into one plugin instance: create/destroy, hook registration, and the three hooks with
// their failure accounting.
#include "hubgate/plugins/plugin_hook.hpp"

#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "hook_events.hpp"
#include "hubgate/plugins/plugin_error.hpp"

namespace hubgate::plugins {
namespace {

const char* hook_name(Hook hook) {
    switch (hook) {
        case Hook::DeriveDeviceId:
            return "derive_device_id";
        case Hook::TransformUplink:
            return "transform_uplink";
        case Hook::TransformDownlink:
            return "transform_downlink";
    }
    return "unknown hook";
}

std::optional<Hook> hook_from_id(int32_t hook_id) {
    switch (hook_id) {
        case HUBGATE_HOOK_DERIVE_DEVICE_ID:
            return Hook::DeriveDeviceId;
        case HUBGATE_HOOK_TRANSFORM_UPLINK:
            return Hook::TransformUplink;
        case HUBGATE_HOOK_TRANSFORM_DOWNLINK:
            return Hook::TransformDownlink;
        default:
            return std::nullopt;
    }
}

// The plugin's message, or a fallback when it wrote none; the buffer may not be terminated.
std::string error_text(std::array<char, HUBGATE_PLUGIN_ERROR_SIZE>& buffer, int code) {
    buffer.back() = '\0';
    if (buffer.front() == '\0') {
        return fmt::format("failed with code {} and no message", code);
    }
    return buffer.data();
}

}  // namespace

PluginHook::PluginHook(std::shared_ptr<PluginLibrary> library, std::string instance_name,
                       const std::string& config_json)
    : library_(std::move(library)), name_(std::move(instance_name)) {
    host_.struct_size = sizeof host_;
    host_.abi_major = HUBGATE_PLUGIN_ABI_MAJOR;
    host_.abi_minor = HUBGATE_PLUGIN_ABI_MINOR;
    host_.register_hook = &PluginHook::register_hook;
    host_.log = &PluginHook::log;
    host_.context = this;

    std::array<char, HUBGATE_PLUGIN_ERROR_SIZE> error{};
    int code = HUBGATE_PLUGIN_ERROR;
    creating_ = true;
    try {
        code = library_->descriptor().create(&host_, config_json.c_str(), config_json.size(),
                                             &instance_, error.data(), error.size());
    } catch (...) {  // a C++ plugin that breaks the no-exceptions rule
        creating_ = false;
        throw PluginError(fmt::format("plugin '{}' ({}): create() threw an exception", name_,
                                      library_->info().file.string()));
    }
    creating_ = false;
    if (code != HUBGATE_PLUGIN_OK) {
        throw PluginError(fmt::format("plugin '{}' ({}): create() refused its config: {}", name_,
                                      library_->info().file.string(), error_text(error, code)));
    }
}

PluginHook::~PluginHook() {
    try {
        library_->descriptor().destroy(instance_);
    } catch (...) {  // nothing sensible to do while tearing down; never let it escape a destructor
    }
}

HookCounters PluginHook::counters(Hook hook) const {
    const auto& c = counters_[index(hook)];
    return {c.calls.load(std::memory_order_relaxed), c.failures.load(std::memory_order_relaxed)};
}

int PluginHook::register_hook(const hubgate_plugin_host* host, int32_t hook_id,
                              hubgate_hook_fn fn) {
    if (host == nullptr || fn == nullptr) {
        return HUBGATE_PLUGIN_INVALID;
    }
    auto* self = static_cast<PluginHook*>(host->context);
    if (!self->creating_) {
        return HUBGATE_PLUGIN_INVALID;
    }
    const auto hook = hook_from_id(hook_id);
    if (!hook) {
        return HUBGATE_PLUGIN_UNKNOWN_HOOK;
    }
    // A plugin that declares its hooks gets only those: `hubgate plugin info` tells the truth.
    const auto& declared = self->library_->info().hooks;
    if (declared && std::find(declared->begin(), declared->end(), hook_id) == declared->end()) {
        return HUBGATE_PLUGIN_INVALID;
    }
    self->hooks_[index(*hook)] = fn;
    return HUBGATE_PLUGIN_OK;
}

void PluginHook::log(const hubgate_plugin_host* host, int level, const char* message) {
    if (host == nullptr || message == nullptr) {
        return;
    }
    try {
        const auto& name = static_cast<const PluginHook*>(host->context)->name_;
        const auto spd_level = level <= HUBGATE_LOG_DEBUG     ? spdlog::level::debug
                               : level == HUBGATE_LOG_INFO    ? spdlog::level::info
                               : level == HUBGATE_LOG_WARNING ? spdlog::level::warn
                                                              : spdlog::level::err;
        spdlog::log(spd_level, "plugin {}: {}", name, message);
    } catch (...) {  // logging must never unwind into the plugin
    }
}

std::optional<mappings::HookError> PluginHook::fail(Hook hook, std::string reason) {
    counters_[index(hook)].failures.fetch_add(1, std::memory_order_relaxed);
    return mappings::HookError{fmt::format("{}: {}", hook_name(hook), std::move(reason))};
}

std::optional<mappings::HookError> PluginHook::call(
    Hook hook, void* event, const std::optional<std::string>& setter_error) {
    counters_[index(hook)].calls.fetch_add(1, std::memory_order_relaxed);
    std::array<char, HUBGATE_PLUGIN_ERROR_SIZE> error{};
    int code = HUBGATE_PLUGIN_ERROR;
    try {
        std::lock_guard lock(call_mutex_);
        code = hooks_[index(hook)](instance_, event, error.data(), error.size());
    } catch (...) {
        return fail(hook, "threw an exception across the C ABI (a plugin must catch its own)");
    }
    if (code != HUBGATE_PLUGIN_OK) {
        return fail(hook, error_text(error, code));
    }
    if (setter_error) {  // the plugin ignored a failed setter: its output is incomplete
        return fail(hook, *setter_error);
    }
    return std::nullopt;
}

std::optional<mappings::HookError> PluginHook::derive_device_id(std::string_view local_topic,
                                                                std::string_view payload,
                                                                std::string& device_id) {
    if (!implements(Hook::DeriveDeviceId)) {
        return std::nullopt;
    }
    try {
        detail::DeviceIdCall call(local_topic, payload);
        if (auto error = this->call(Hook::DeriveDeviceId, &call.event, call.setter_error)) {
            return error;
        }
        if (call.new_device_id) {
            device_id = std::move(*call.new_device_id);
        }
        return std::nullopt;
    } catch (const std::exception& e) {  // out of memory while preparing the call
        return fail(Hook::DeriveDeviceId, e.what());
    }
}

std::optional<mappings::HookError> PluginHook::transform_uplink(std::string_view device_id,
                                                                std::string& payload,
                                                                mappings::Properties& properties) {
    if (!implements(Hook::TransformUplink)) {
        return std::nullopt;
    }
    try {
        detail::UplinkCall call(device_id, payload, properties);
        if (auto error = this->call(Hook::TransformUplink, &call.event, call.setter_error)) {
            return error;
        }
        if (call.new_payload) {
            payload = std::move(*call.new_payload);
        }
        if (call.new_properties) {
            properties = std::move(*call.new_properties);
        }
        return std::nullopt;
    } catch (const std::exception& e) {
        return fail(Hook::TransformUplink, e.what());
    }
}

std::optional<mappings::HookError> PluginHook::transform_downlink(std::string_view device_id,
                                                                  std::string_view kind,
                                                                  std::string& payload) {
    if (!implements(Hook::TransformDownlink)) {
        return std::nullopt;
    }
    try {
        detail::DownlinkCall call(device_id, kind, payload);
        if (auto error = this->call(Hook::TransformDownlink, &call.event, call.setter_error)) {
            return error;
        }
        if (call.new_payload) {
            payload = std::move(*call.new_payload);
        }
        return std::nullopt;
    } catch (const std::exception& e) {
        return fail(Hook::TransformDownlink, e.what());
    }
}

}  // namespace hubgate::plugins
