#pragma once
// The dead-letter folder: messages hubgate gave up on because a plugin crashed the process on
// them (local messages on their way up, and downlinks from the hub), kept for the operator with
// their kind, topic, payload and the plugin's name.

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "gateway/core/plugin_crashes.hpp"

namespace hubgate::core {

// A message that goes through plugin hooks: a local message (uplink), or a downlink from the hub
// (C2D message, desired properties, method call), which the downlink hook sees as device id,
// kind and payload.
struct HookedMessage {
    std::string_view kind = "uplink";  // or the downlink kind ("c2d", "desired", "method"...)
    std::string_view device_id;        // downlinks: the device it is for
    // Uplink: the local topic. Downlink: the hub's topic it came on (for the operator only).
    std::string_view topic;
    std::string_view payload;

    static HookedMessage uplink(std::string_view local_topic, std::string_view local_payload) {
        HookedMessage message;
        message.topic = local_topic;
        message.payload = local_payload;
        return message;
    }
    bool downlink() const { return kind != "uplink"; }
};

class DeadLetters {
  public:
    explicit DeadLetters(std::filesystem::path dir) : dir_(std::move(dir)) {}

    // Writes `<dir>/<digest>.json` (atomically, fsync'd) unless it exists: one file per distinct
    // message, however often it is sent again. JSON fields: direction ("uplink"/"downlink"),
    // kind, topic, device_id (downlinks), plugin, hook, crashes, digest, dead_lettered_at (UTC),
    // and the payload as "payload" when it is UTF-8 text, else "payload_base64". `path` gets the
    // file's path. False with `error` when it cannot be written.
    bool keep(const HookedMessage& message, const CrashRecord& crash, std::filesystem::path& path,
              std::string& error) const;

    const std::filesystem::path& dir() const { return dir_; }

  private:
    std::filesystem::path dir_;
};

}  // namespace hubgate::core
