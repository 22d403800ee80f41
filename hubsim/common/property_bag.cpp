// Property bag parsing and encoding with the SAS module's URL codec.
#include "hubsim/common/property_bag.hpp"

#include "gateway/auth/sas_token.hpp"

namespace hubsim {

bool is_system_property(std::string_view name) {
    return name.starts_with("$.") || name == "iothub-creation-time-utc";
}

std::optional<PropertyBag> parse_property_bag(std::string_view bag) {
    PropertyBag parsed;
    while (!bag.empty()) {
        auto amp = bag.find('&');
        std::string_view field = bag.substr(0, amp);
        bag = amp == std::string_view::npos ? std::string_view{} : bag.substr(amp + 1);
        if (field.empty())
            continue;
        auto eq = field.find('=');
        auto name = hubgate::auth::url_decode(field.substr(0, eq));
        auto value = hubgate::auth::url_decode(eq == std::string_view::npos ? std::string_view{}
                                                                            : field.substr(eq + 1));
        if (!name || !value || name->empty())
            return std::nullopt;
        auto& target = is_system_property(*name) ? parsed.system : parsed.application;
        target[*name] = *value;
    }
    return parsed;
}

std::string encode_property_bag(const PropertyBag& bag) {
    std::string out;
    for (const auto* part : {&bag.system, &bag.application}) {
        for (const auto& [name, value] : *part) {
            if (!out.empty())
                out += '&';
            out += hubgate::auth::url_encode(name);
            out += '=';
            out += hubgate::auth::url_encode(value);
        }
    }
    return out;
}

}  // namespace hubsim
