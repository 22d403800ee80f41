#pragma once
// ASCII lower case, for what IoT Hub compares case-insensitively (host names, token resources).

#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>

namespace hubsim {

inline std::string lower_case(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

}  // namespace hubsim
