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
    {1, 1, "618ff67eca0ff69c456cd0c6ea54e481c9b1bf42488f9cd54b2230565c4e0974"},
};

std::string file_text(const char* path) {
    std::ifstream file(path, std::ios::binary);
    REQUIRE(file);
    return {std::istreambuf_iterator<char>(file), {}};
}

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
    const std::string text = file_text(PLUGIN_HEADER);
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

// The old-ABI test plugin (test-probe-abi-1-0) is built against this copy: it must stay the 1.0
// header, byte for byte, or that test no longer proves that 1.0 plugins load.
TEST_CASE("the pinned 1.0 header the old-ABI test plugin builds against is the released 1.0") {
    CHECK(sha256_hex(file_text(PLUGIN_HEADER_1_0)) == kPinned[0].header_sha256);
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
// Appended in 1.1, after everything 1.0 had.
static_assert(offsetof(hubgate_plugin_descriptor, settings) == 56);
static_assert(offsetof(hubgate_plugin_descriptor, setting_count) == 64);
static_assert(offsetof(hubgate_plugin_descriptor, hooks) == 72);
static_assert(offsetof(hubgate_plugin_descriptor, hook_count) == 80);
static_assert(sizeof(hubgate_plugin_descriptor) == 88);
static_assert(offsetof(hubgate_plugin_setting, type) == 4);
static_assert(offsetof(hubgate_plugin_setting, name) == 8);
static_assert(offsetof(hubgate_plugin_setting, default_json) == 24);
static_assert(offsetof(hubgate_plugin_setting, flags) == 32);
static_assert(offsetof(hubgate_plugin_setting, choices) == 40);
static_assert(offsetof(hubgate_plugin_setting, fields) == 48);
static_assert(offsetof(hubgate_plugin_setting, field_count) == 56);
#endif
static_assert(HUBGATE_SETTING_STRING == 1 && HUBGATE_SETTING_INTEGER == 2 &&
              HUBGATE_SETTING_NUMBER == 3 && HUBGATE_SETTING_BOOLEAN == 4 &&
              HUBGATE_SETTING_STRING_LIST == 5 && HUBGATE_SETTING_TABLE_LIST == 6 &&
              HUBGATE_SETTING_REQUIRED == 1u);
static_assert(HUBGATE_HOOK_DERIVE_DEVICE_ID == 1 && HUBGATE_HOOK_TRANSFORM_UPLINK == 2 &&
              HUBGATE_HOOK_TRANSFORM_DOWNLINK == 3);
static_assert(HUBGATE_PLUGIN_OK == 0 && HUBGATE_PLUGIN_ERROR == 1 &&
              HUBGATE_PLUGIN_UNKNOWN_HOOK == 2 && HUBGATE_PLUGIN_INVALID == 3);
