// Loads arbitrary mapping files, then routes a few topics through whatever loaded. Every fault
// must be a diagnostic with a position, never a crash.

#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>

#include "fuzz_check.hpp"
#include "hubgate/mappings/device_directory.hpp"
#include "hubgate/mappings/mapping_set.hpp"

using namespace hubgate::mappings;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const MappingSource sources[] = {
        {"fuzz.toml", std::string(reinterpret_cast<const char*>(data), size)}};
    LoadResult result = MappingSet::load_texts(sources);
    for (const LoadDiagnostic& diagnostic : result.diagnostics) {
        FUZZ_CHECK(!diagnostic.message.empty());
    }
    if (!result.ok())
        return 0;
    const MappingSet& rules = *result.set;
    DeviceDirectory directory;
    for (const char* topic : {"a/b/c", "plant/north/7/telemetry", "x", "$SYS/a", "a//b"}) {
        const UplinkResult routed = rules.route_uplink(topic, "{}");
        if (const auto* route = std::get_if<UplinkRoute>(&routed)) {
            directory.remember(*route);
            (void)rules.render_downlink(route->device_id, DownlinkKind::c2d,
                                        {.method = "m", .rid = "1", .status = 200, .version = 1},
                                        "p", directory);
        }
    }
    (void)rules.local_subscriptions();
    return 0;
}
