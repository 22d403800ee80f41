#pragma once
// The mapping rules in force, replaceable while the daemon runs (hot reload). Readers take a
// snapshot per message: the rules and the plugin instances their hooks call stay alive for as
// long as any thread still routes with them, however soon a reload replaces them.

#include <cstdint>
#include <memory>
#include <mutex>

#include "gateway/core/mapping_loading.hpp"

namespace hubgate::core {

// One loaded rule set (LoadedMappings always holds a compiled set here).
using MappingsSnapshot = std::shared_ptr<const LoadedMappings>;

// The current rule set, shared by the uplink and downlink sides. Thread-safe.
class ActiveMappings {
  public:
    explicit ActiveMappings(MappingsSnapshot initial) : current_(std::move(initial)) {}

    MappingsSnapshot current() const {
        std::lock_guard lock(mutex_);
        return current_;
    }
    // The rules of every later current() call; the old ones live on with their readers.
    void replace(MappingsSnapshot next) {
        std::lock_guard lock(mutex_);
        current_ = std::move(next);
        ++generation_;
    }
    // Changes with every replace(): lets caches built from the rules notice a reload.
    std::uint64_t generation() const {
        std::lock_guard lock(mutex_);
        return generation_;
    }

  private:
    mutable std::mutex mutex_;
    MappingsSnapshot current_;
    std::uint64_t generation_ = 0;
};

}  // namespace hubgate::core
