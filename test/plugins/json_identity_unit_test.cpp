// json-identity.so: device id from a JSON field of the payload, table-driven.
#include <doctest/doctest.h>

#include <optional>
#include <string>

#include "hubgate/plugins/plugin_error.hpp"
#include "hubgate/plugins/plugin_loader.hpp"

using hubgate::plugins::load_plugin;
using hubgate::plugins::PluginError;
using hubgate::plugins::PluginSpec;

namespace {

std::unique_ptr<hubgate::plugins::PluginHook> json_identity(const std::string& config) {
    return load_plugin(HUBGATE_LIB_DIR, PluginSpec{"identity", "json-identity.so", config});
}

}  // namespace

TEST_CASE("json-identity derives the device id from the payload") {
    struct Case {
        const char* config;
        const char* payload;
        const char* id;      // the device id afterwards (the template is "template")
        const char* reason;  // nullptr: accepted; else the end of the rejection reason
    };
    const Case cases[] = {
        {R"({"field": "serial"})", R"({"serial": "A-17", "t": 21.5})", "A-17", nullptr},
        {R"({"field": "serial"})", R"({"serial": 4711})", "4711", nullptr},
        {R"({"field": "serial", "prefix": "plant1-"})", R"({"serial": "A-17"})", "plant1-A-17",
         nullptr},
        {R"({"field": "/meta/ids/0"})", R"({"meta": {"ids": ["first", "second"]}})", "first",
         nullptr},
        {R"({"field": "a/b"})", R"({"a/b": "slash-in-name"})", "slash-in-name", nullptr},
        {R"({"field": "serial"})", R"({"serial": 4.5})", "template",
         "field /serial is a number, expected a string or an integer"},
        {R"({"field": "serial"})", R"({"serial": true})", "template",
         "field /serial is a boolean, expected a string or an integer"},
        {R"({"field": "serial"})", R"({"serial": {"x": 1}})", "template",
         "field /serial is a object, expected a string or an integer"},
        {R"({"field": "serial"})", R"({"serial": null})", "template",
         "field /serial is a null, expected a string or an integer"},
        {R"({"field": "serial"})", R"({"other": 1})", "template", "payload has no field /serial"},
        {R"({"field": "serial"})", R"({"serial": ""})", "template", "field /serial is empty"},
        {R"({"field": "serial"})", "21.5,40", "template", "payload is not JSON"},
        {R"({"field": "serial"})", "", "template", "payload is not JSON"},
        {R"({"field": "serial"})", R"({"serial": "A-1")", "template", "payload is not JSON"},
        {R"({"field": "/meta/ids/x"})", R"({"meta": {"ids": ["a"]}})", "template",
         "payload has no field /meta/ids/x"},
        // on_missing = keep: anything that yields no id keeps the rule's template.
        {R"({"field": "serial", "on_missing": "keep"})", "not json", "template", nullptr},
        {R"({"field": "serial", "on_missing": "keep"})", R"({"other": 1})", "template", nullptr},
        {R"({"field": "serial", "on_missing": "keep"})", R"({"serial": "B-2"})", "B-2", nullptr},
        // A wrong type is a broken device, not a missing field: rejected even with keep.
        {R"({"field": "serial", "on_missing": "keep"})", R"({"serial": [1]})", "template",
         "field /serial is a array, expected a string or an integer"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.config);
        CAPTURE(c.payload);
        const auto plugin = json_identity(c.config);
        std::string id = "template";
        const auto error = plugin->derive_device_id("fleet/data", c.payload, id);
        CHECK(id == c.id);
        if (c.reason == nullptr) {
            CHECK_FALSE(error);
        } else {
            REQUIRE(error);
            CHECK(error->message.ends_with(c.reason));
        }
    }
}

TEST_CASE("json-identity refuses an unusable config at load time") {
    struct Case {
        const char* config;
        const char* reason;
    };
    const Case cases[] = {
        {"{}", "'field' must be a non-empty string"},
        {R"({"field": ""})", "'field' must be a non-empty string"},
        {R"({"field": 3})", "'field' must be a non-empty string"},
        {R"({"field": "x", "prefix": 1})", "'prefix' must be a string"},
        {R"({"field": "x", "on_missing": "ignore"})",
         "'on_missing' must be \"reject\" or \"keep\""},
        {R"({"field": "x", "feild": "y"})",
         "unknown key 'feild' (allowed: field, prefix, on_missing)"},
        {R"({"field": "/a/~2"})", "escape character '~' must be followed with '0' or '1'"},
        {"[1]", "config is not a JSON object"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.config);
        try {
            json_identity(c.config);
            FAIL("loaded");
        } catch (const PluginError& e) {
            CHECK(std::string(e.what()).ends_with(c.reason));
        }
    }
}

TEST_CASE("json-identity leaves payload and properties alone") {
    const auto plugin = json_identity(R"({"field": "serial"})");
    CHECK_FALSE(plugin->implements(hubgate::plugins::Hook::TransformUplink));
    CHECK_FALSE(plugin->implements(hubgate::plugins::Hook::TransformDownlink));
}
