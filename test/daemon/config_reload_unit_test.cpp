// What a reload applies and what waits for a restart, decided from two parsed config files.
#include <doctest/doctest.h>

#include "gateway/daemon/config_reload.hpp"

namespace hubgate::test {

namespace {

toml::table parse(std::string_view text) {
    return toml::parse(text);
}

constexpr std::string_view kBase = R"toml(
mappings = ["a/*.toml"]
[hub]
hostname = "h.azure-devices.net"
[log]
level = "info"
[spool]
max_size = "64MiB"
)toml";

}  // namespace

TEST_CASE("reload: mappings, plugins and log changes apply - nothing waits for a restart") {
    const auto next = parse(R"toml(
mappings = ["a/*.toml", "b/*.toml"]
[hub]
hostname = "h.azure-devices.net"
[log]
level = "debug"
[plugins.csv]
file = "x.so"
[spool]
max_size = "64MiB"
)toml");
    CHECK(daemon::ConfigReloader::restart_only_changes(parse(kBase), next).empty());
}

TEST_CASE("reload: a changed, added or removed connection setting is reported for a restart") {
    const auto changed = parse(R"toml(
mappings = ["a/*.toml"]
[hub]
hostname = "other.azure-devices.net"
[log]
level = "info"
[local]
port = 1884
)toml");
    CHECK(daemon::ConfigReloader::restart_only_changes(parse(kBase), changed) ==
          std::vector<std::string>{"hub", "spool", "local"});
    CHECK(daemon::ConfigReloader::restart_only_changes(parse(kBase), parse(kBase)).empty());
}

}  // namespace hubgate::test
