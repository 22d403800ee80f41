// Username parsing: the query is split generically because SDKs add parameters freely.
#include "hubsim/common/device_username.hpp"

#include "hubgate/iothub/encoding.hpp"

namespace hubsim {

std::optional<DeviceUsername> parse_device_username(std::string_view username) {
    auto first_slash = username.find('/');
    if (first_slash == std::string_view::npos || first_slash == 0)
        return std::nullopt;
    auto query_start = username.find("/?", first_slash + 1);
    if (query_start == std::string_view::npos || query_start == first_slash + 1)
        return std::nullopt;
    DeviceUsername parsed;
    parsed.hostname = std::string(username.substr(0, first_slash));
    parsed.device_id = std::string(username.substr(first_slash + 1, query_start - first_slash - 1));
    std::string_view query = username.substr(query_start + 2);
    while (!query.empty()) {
        auto amp = query.find('&');
        std::string_view field = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        if (field.empty())
            continue;
        auto eq = field.find('=');
        std::string_view name = field.substr(0, eq);
        std::string_view value =
            eq == std::string_view::npos ? std::string_view{} : field.substr(eq + 1);
        // model-id is sent unencoded by SDKs and may hold characters that do not decode: keep raw.
        auto decoded = hubgate::iothub::url_decode(value);
        parsed.query[std::string(name)] = decoded ? *decoded : std::string(value);
    }
    auto version = parsed.query.find("api-version");
    if (version == parsed.query.end() || version->second.empty())
        return std::nullopt;
    return parsed;
}

}  // namespace hubsim
