// Pins the plugin ABI: any edit of hubgate/plugin.h fails this test until the ABI version is
// bumped (MINOR for an append, MAJOR for anything else) and the new header hash recorded below.
#include <doctest/doctest.h>
#include <hubgate/plugin.h>
#include <openssl/evp.h>

#include <cstddef>
#include <fstream>
#include <iterator>
#include <string>

namespace {

// One released ABI version and the SHA-256 of the plugin.h that defines it. Append, never edit.
struct PinnedAbi {
    int major;
    int minor;
    const char* header_sha256;
};
constexpr PinnedAbi kPinned[] = {
    {1, 0, "544ba3d894758dc02217c72481b51d181643f7a6bf24a34e8e6f29babe116c67"},
};

std::string sha256_hex(const std::string& data) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    REQUIRE(EVP_Digest(data.data(), data.size(), digest, &size, EVP_sha256(), nullptr) == 1);
    std::string hex;
    for (unsigned int i = 0; i < size; ++i) {
        constexpr char kDigits[] = "0123456789abcdef";
        hex += kDigits[digest[i] >> 4];
        hex += kDigits[digest[i] & 0xf];
    }
    return hex;
}

}  // namespace

TEST_CASE("plugin.h matches the hash pinned for its ABI version") {
    std::ifstream file(PLUGIN_HEADER, std::ios::binary);
    REQUIRE(file);
    const std::string text{std::istreambuf_iterator<char>(file), {}};
    const auto& current = kPinned[std::size(kPinned) - 1];
    REQUIRE_MESSAGE(current.major == HUBGATE_PLUGIN_ABI_MAJOR,
                    "plugin.h declares a new ABI version: pin its hash in kPinned");
    REQUIRE_MESSAGE(current.minor == HUBGATE_PLUGIN_ABI_MINOR,
                    "plugin.h declares a new ABI version: pin its hash in kPinned");
    CHECK_MESSAGE(sha256_hex(text) == current.header_sha256,
                  "plugin.h changed without an ABI version bump: bump HUBGATE_PLUGIN_ABI_MINOR "
                  "(appended fields or hooks) or HUBGATE_PLUGIN_ABI_MAJOR (anything else), see "
                  "PLUGINS.md, then append the new hash to kPinned");
}

// The layout a 1.x plugin relies on (LP64). An append keeps these; anything else breaks plugins.
#if defined(__LP64__)
static_assert(offsetof(hubgate_plugin_descriptor, create) == 40);
static_assert(offsetof(hubgate_plugin_descriptor, destroy) == 48);
static_assert(offsetof(hubgate_plugin_host, register_hook) == 8);
static_assert(offsetof(hubgate_plugin_host, context) == 24);
static_assert(offsetof(hubgate_device_id_event, set_device_id) == 40);
static_assert(offsetof(hubgate_uplink_event, set_payload) == 56);
static_assert(offsetof(hubgate_uplink_event, host) == 80);
static_assert(offsetof(hubgate_downlink_event, set_payload) == 56);
#endif
static_assert(HUBGATE_HOOK_DERIVE_DEVICE_ID == 1 && HUBGATE_HOOK_TRANSFORM_UPLINK == 2 &&
              HUBGATE_HOOK_TRANSFORM_DOWNLINK == 3);
static_assert(HUBGATE_PLUGIN_OK == 0 && HUBGATE_PLUGIN_ERROR == 1 &&
              HUBGATE_PLUGIN_UNKNOWN_HOOK == 2 && HUBGATE_PLUGIN_INVALID == 3);
