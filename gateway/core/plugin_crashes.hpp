#pragma once
// How many times the process died while a given local message was inside plugin hooks, kept in
// `<state dir>/plugin-crashes.json` (written atomically) so the count survives the restarts.
// Bounded: the oldest entries go first. Not thread-safe (one thread: start-up, then the local
// link's).

#include <cstdint>
#include <deque>
#include <filesystem>
#include <string>

namespace hubgate::core {

struct CrashRecord {
    std::uint64_t digest = 0;  // spool::source_digest(topic, payload)
    int crashes = 0;
    std::string plugin;  // the instance the message was in at the last crash
    std::string hook;
};

class PluginCrashes {
  public:
    static constexpr std::size_t kMaxRecords = 64;

    explicit PluginCrashes(std::filesystem::path file) : file_(std::move(file)) {}

    // Reads the file if there is one. A malformed file is moved aside (.bad) and the table starts
    // empty (logged).
    void load();
    // Counts one more crash of `digest` in `plugin`'s `hook` and saves; returns the new count.
    // A failed save is logged (the count then holds until the next restart only).
    int count_crash(std::uint64_t digest, const std::string& plugin, const std::string& hook);
    // The record of `digest`, or nullptr.
    const CrashRecord* find(std::uint64_t digest) const;
    bool empty() const { return records_.empty(); }

  private:
    bool save(std::string& error) const;

    std::filesystem::path file_;
    std::deque<CrashRecord> records_;  // oldest first
};

}  // namespace hubgate::core
