#pragma once
// The compiled mapping rules: load them from TOML mapping files, then route uplink messages and
// render downlink messages. Pure: no network, no threads. Const methods may be called from many
// threads at once (the hooks it calls must then be thread-safe too).

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hubgate/mappings/message_hook.hpp"
#include "hubgate/mappings/route.hpp"

namespace hubgate::mappings {

class DeviceDirectory;

// One finding while loading mapping files, printed as `file:line:col: message`.
struct LoadDiagnostic {
    enum class Severity : std::uint8_t { error, warning };
    Severity severity = Severity::error;
    std::string file;
    std::uint32_t line = 0;
    std::uint32_t column = 0;
    std::string message;
    // "file:line:col: error: message" ("file: error: ..." when the fault has no line).
    std::string to_string() const;
};

// Mapping file text handed in directly (tests, `hubgate map`); `name` is used in diagnostics.
struct MappingSource {
    std::string name;
    std::string text;
};

// Finds the hook object for a plugin name named by `plugins = [...]`; nullptr when unknown.
using HookLookup = std::function<MessageHook*(std::string_view name)>;

// Settings of a load. The hooks must outlive the MappingSet.
struct LoadOptions {
    HookLookup hooks;
    // Source of {now} (iothub-creation-time-utc); defaults to the system clock.
    std::function<std::chrono::system_clock::time_point()> clock;
};

struct LoadResult;

// The rules of every mapping file, compiled into a topic trie.
class MappingSet {
  public:
    // Reads and compiles the files. Every fault becomes an error diagnostic with its position;
    // rules that can match the same topic become warnings naming both positions.
    static LoadResult load_files(std::span<const std::string> paths,
                                 const LoadOptions& options = {});
    static LoadResult load_texts(std::span<const MappingSource> sources,
                                 const LoadOptions& options = {});

    MappingSet(MappingSet&&) noexcept;
    MappingSet& operator=(MappingSet&&) noexcept;
    ~MappingSet();

    // Routes one local message. Precedence when several rules match: the more specific pattern
    // (compared level by level from the left: literal > single-level > multi-level), then the
    // rule loaded first.
    UplinkResult route_uplink(std::string_view topic, std::string_view payload) const;
    // The same, with the route's captures built in `recycled` (emptied first, its capacity kept):
    // a caller that routes message after message and hands each route's captures back here
    // allocates no vector for them.
    UplinkResult route_uplink(std::string_view topic, std::string_view payload,
                              Captures&& recycled) const;

    // Renders a downlink for a device, using its captures from `directory` or, when it was never
    // seen, from the mapping files' static device tables.
    DownlinkResult render_downlink(std::string_view device_id, DownlinkKind kind,
                                   const DownlinkVars& vars, std::string payload,
                                   const DeviceDirectory& directory) const;

    // MQTT filters to subscribe on the local broker so every uplink rule can see its topics.
    // Filters already covered by another one are left out.
    std::vector<std::string> local_subscriptions() const;

    std::size_t rule_count() const;

    struct Impl;

  private:
    explicit MappingSet(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

// The outcome of a load: the set when there is no error, and every diagnostic.
struct LoadResult {
    std::optional<MappingSet> set;
    std::vector<LoadDiagnostic> diagnostics;
    bool ok() const { return set.has_value(); }
};

}  // namespace hubgate::mappings
