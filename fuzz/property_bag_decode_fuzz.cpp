// Decodes arbitrary property bags; whatever decodes re-encodes to a bag that decodes to the same
// properties, and any bytes used as a value survive an encode/decode round trip unchanged (no
// injection of extra properties).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "fuzz_check.hpp"
#include "hubgate/mappings/property_bag.hpp"

using namespace hubgate::mappings;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view bag(reinterpret_cast<const char*>(data), size);
    auto decoded = decode_property_bag(bag);
    if (const auto* properties = std::get_if<Properties>(&decoded)) {
        auto again = decode_property_bag(encode_property_bag(*properties));
        FUZZ_CHECK(std::holds_alternative<Properties>(again));
        FUZZ_CHECK(std::get<Properties>(again) == *properties);
    }
    const Properties attack = {{"name", std::string(bag)}, {"$.ct", std::string(bag)}};
    const std::string encoded = encode_property_bag(attack);
    FUZZ_CHECK(encoded.find('/') == std::string::npos);
    auto round_trip = decode_property_bag(encoded);
    FUZZ_CHECK(std::holds_alternative<Properties>(round_trip));
    FUZZ_CHECK(std::get<Properties>(round_trip) == attack);
    return 0;
}
