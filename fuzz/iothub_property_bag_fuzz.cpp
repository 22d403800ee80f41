// The IoT Hub library's property-bag codec (iothub/src/property_bag.cpp), which reads every C2D
// topic and twin or method query the hub sends. Whatever decodes re-encodes, in either style of
// system names, to a bag without '/', '#' or '+' that decodes to the same properties; any bytes
// used as a value survive an encode/decode round trip unchanged (no injection of extra
// properties).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "hubgate/iothub/property_bag.hpp"

using namespace hubgate::iothub;

namespace {

void check_round_trip(const Properties& properties, SystemNames style) {
    const std::string encoded = encode_property_bag(properties, style);
    FUZZ_CHECK(encoded.size() == property_bag_size(properties, style));
    FUZZ_CHECK(encoded.find_first_of("/#+") == std::string::npos);
    const auto again = decode_property_bag(encoded);
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK(*again == properties);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view bag(reinterpret_cast<const char*>(data), size);
    if (const auto decoded = decode_property_bag(bag)) {
        check_round_trip(*decoded, SystemNames::literal);
        check_round_trip(*decoded, SystemNames::escaped);
    }
    const Properties attack = {{"name", std::string(bag)}, {"$.ct", std::string(bag)}};
    check_round_trip(attack, SystemNames::literal);
    check_round_trip(attack, SystemNames::escaped);
    return 0;
}
