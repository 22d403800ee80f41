// The session's property-bag decoder (gateway/session/iothub_topics.*), which reads every C2D
// topic and twin or method query the hub sends: whatever decodes re-encodes to a bag that decodes
// to the same properties.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_check.hpp"
#include "gateway/session/iothub_topics.hpp"

using namespace hubgate::session;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view bag(reinterpret_cast<const char*>(data), size);
    const auto decoded = decode_property_bag(bag);
    if (!decoded) {
        return 0;
    }
    const std::string encoded = encode_property_bag(*decoded);
    FUZZ_CHECK(encoded.find_first_of("/#+") == std::string::npos);
    const auto again = decode_property_bag(encoded);
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK(*again == *decoded);
    return 0;
}
