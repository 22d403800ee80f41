#include "hubsim/common/api_versions.hpp"

#include <algorithm>
#include <array>

namespace hubsim {

namespace {

// Where each is seen: the MQTT support guide (2016-11-14, later 2018-06-30), the C SDK
// (2017-06-30, 2020-09-30), the Node SDK (2019-03-30, now 2021-04-12), the Python SDK
// (2019-10-01), the .NET SDK (2020-03-13).
constexpr std::array<std::string_view, 8> kHubApiVersions{
    "2016-11-14", "2017-06-30", "2018-06-30", "2019-03-30",
    "2019-10-01", "2020-03-13", "2020-09-30", "2021-04-12",
};

}  // namespace

bool is_hub_api_version(std::string_view version) {
    return std::find(kHubApiVersions.begin(), kHubApiVersions.end(), version) !=
           kHubApiVersions.end();
}

}  // namespace hubsim
