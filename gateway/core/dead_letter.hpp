#pragma once
// The dead-letter folder: local messages hubgate gave up on because a plugin crashed the
// process on them, kept for the operator with their topic, payload and the plugin's name.

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "gateway/core/plugin_crashes.hpp"

namespace hubgate::daemon {

class DeadLetters {
  public:
    explicit DeadLetters(std::filesystem::path dir) : dir_(std::move(dir)) {}

    // Writes `<dir>/<digest>.json` (atomically, fsync'd) unless it exists: one file per distinct
    // message, however often it is sent again. JSON fields: topic, plugin, hook, crashes,
    // digest, dead_lettered_at (UTC), and the payload as "payload" when it is UTF-8 text, else
    // "payload_base64". `path` gets the file's path. False with `error` when it cannot be written.
    bool keep(std::string_view topic, std::string_view payload, const CrashRecord& crash,
              std::filesystem::path& path, std::string& error) const;

    const std::filesystem::path& dir() const { return dir_; }

  private:
    std::filesystem::path dir_;
};

}  // namespace hubgate::daemon
