// text-to-json.so: CSV and key=value payloads to JSON, table-driven.
#include <doctest/doctest.h>

#include <string>

#include "hubgate/plugins/plugin_error.hpp"
#include "hubgate/plugins/plugin_loader.hpp"

using hubgate::mappings::Properties;
using hubgate::plugins::load_plugin;
using hubgate::plugins::PluginError;
using hubgate::plugins::PluginSpec;

namespace {

std::unique_ptr<hubgate::plugins::PluginHook> text_to_json(const std::string& config) {
    return load_plugin(HUBGATE_LIB_DIR, PluginSpec{"text", "text-to-json.so", config});
}

constexpr const char* kCsv = R"({"format": "csv", "fields": [
    {"name": "temperature", "type": "number"}, {"name": "humidity", "type": "integer"},
    {"name": "ok", "type": "boolean"}, {"name": "status"}]})";
constexpr const char* kKv = R"({"format": "kv", "separator": ";", "fields": [
    {"name": "temp", "type": "number"}, {"name": "count", "type": "integer"}]})";

}  // namespace

TEST_CASE("text-to-json converts CSV and key=value payloads") {
    struct Case {
        const char* config;
        const char* payload;
        const char* result;  // the JSON payload, or the end of the rejection reason
        bool accepted;
    };
    const Case cases[] = {
        {kCsv, "21.5,40,true,OK", R"({"temperature":21.5,"humidity":40,"ok":true,"status":"OK"})",
         true},
        {kCsv, " -3 , +7 , 0 , \"a, \"\"b\"\"\" \r\n",
         R"({"temperature":-3.0,"humidity":7,"ok":false,"status":"a, \"b\""})", true},
        {kCsv, "1e3,,FALSE,", R"({"temperature":1000.0,"humidity":null,"ok":false,"status":null})",
         true},
        {kCsv, "1,2,1,a\n\n3,4,0,b\n",
         R"([{"temperature":1.0,"humidity":2,"ok":true,"status":"a"},)"
         R"({"temperature":3.0,"humidity":4,"ok":false,"status":"b"}])",
         true},
        {kCsv, "1,2,1", "line 1: 3 fields, expected 4", false},
        {kCsv, "1,2,1,a,b", "line 1: 5 fields, expected 4", false},
        {kCsv, "1,2,1,a\nwarm,2,1,a", "line 2: field 'temperature': 'warm' is not a number", false},
        {kCsv, "nan,2,1,a", "line 1: field 'temperature': 'nan' is not a number", false},
        {kCsv, "1e999,2,1,a", "line 1: field 'temperature': '1e999' is not a number", false},
        {kCsv, "1,2.5,1,a", "line 1: field 'humidity': '2.5' is not an integer", false},
        {kCsv, "1,+-2,1,a", "line 1: field 'humidity': '+-2' is not an integer", false},
        {kCsv, "1,99999999999999999999,1,a",
         "line 1: field 'humidity': '99999999999999999999' is not an integer", false},
        {kCsv, "1,2,yes,a", "line 1: field 'ok': 'yes' is not a boolean", false},
        {kCsv, "1,2,1,\"open", "line 1: unterminated quoted field", false},
        {kCsv, " \n\r\n", "no CSV line in the payload", false},
        {kKv, "temp=21.5;count=3", R"({"temp":21.5,"count":3})", true},
        {kKv, "temp = 21.5\ncount=3;\nlabel=a=b", R"({"temp":21.5,"count":3,"label":"a=b"})", true},
        {kKv, "count=3;temp=", R"({"count":3,"temp":null})", true},
        {kKv, "temp=hot", "line 1: field 'temp': 'hot' is not a number", false},
        {kKv, "temp=1;temp=2", "line 1: key 'temp' repeated", false},
        {kKv, "temp=1\njunk", "line 2: 'junk' is not key=value", false},
        {kKv, "=5", "line 1: '=5' is not key=value", false},
        {kKv, ";;\n", "no key=value pair in the payload", false},
        {R"({"format": "kv", "unknown_keys": "drop", "fields": [{"name": "a", "type": "integer"}]})",
         "a=1,b=2", R"({"a":1})", true},
        {R"({"format": "kv", "unknown_keys": "reject"})", "a=1", "line 1: unknown key 'a'", false},
        {R"({"format": "kv"})", "name=caf\xc3\xa9,bad=\xff",
         R"({"name":"café","bad":")"
         "\xef\xbf\xbd"
         R"("})",
         true},
    };
    for (const auto& c : cases) {
        CAPTURE(c.config);
        CAPTURE(c.payload);
        const auto plugin = text_to_json(c.config);
        std::string payload = c.payload;
        Properties properties = {{"site", "north"}};
        const auto error = plugin->transform_uplink("dev-1", payload, properties);
        if (c.accepted) {
            REQUIRE_FALSE(error);
            CHECK(payload == c.result);
            CHECK(properties ==
                  Properties{{"site", "north"}, {"$.ct", "application/json"}, {"$.ce", "utf-8"}});
        } else {
            REQUIRE(error);
            CHECK(error->message.ends_with(c.result));
            CHECK(payload == c.payload);
            CHECK(properties == Properties{{"site", "north"}});
        }
    }
}

TEST_CASE("text-to-json can leave the content type alone") {
    const auto plugin = text_to_json(R"({"format": "kv", "content_type": false})");
    std::string payload = "a=1";
    Properties properties;
    REQUIRE_FALSE(plugin->transform_uplink("dev-1", payload, properties));
    CHECK(payload == R"({"a":"1"})");
    CHECK(properties.empty());
}

TEST_CASE("text-to-json refuses an unusable config at load time") {
    struct Case {
        const char* config;
        const char* reason;
    };
    const Case cases[] = {
        {"{}", "'format' must be \"csv\" or \"kv\""},
        {R"({"format": "xml"})", "'format' must be \"csv\" or \"kv\""},
        {R"({"format": "csv"})",
         "'fields' must be a list of {name, type} tables (at least one for csv)"},
        {R"({"format": "csv", "fields": [{"type": "number"}]})",
         "every field needs a non-empty 'name'"},
        {R"({"format": "csv", "fields": [{"name": "a", "type": "float"}]})",
         "field 'a': type must be string, number, integer or boolean"},
        {R"({"format": "kv", "separator": ";;"})",
         "'separator' must be one character other than a newline or '='"},
        {R"({"format": "kv", "separator": "="})",
         "'separator' must be one character other than a newline or '='"},
        {R"({"format": "kv", "unknown_keys": "keep"})",
         "'unknown_keys' must be \"string\", \"drop\" or \"reject\""},
        {R"({"format": "kv", "content_type": "yes"})", "'content_type' must be true or false"},
        {R"({"format": "kv", "colour": 1})",
         "unknown key 'colour' (allowed: format, fields, separator, unknown_keys, content_type)"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.config);
        try {
            text_to_json(c.config);
            FAIL("loaded");
        } catch (const PluginError& e) {
            CHECK(std::string(e.what()).ends_with(c.reason));
        }
    }
}
