#include <doctest/doctest.h>

#include "hubgate/mappings/device_directory.hpp"

using namespace hubgate::mappings;

namespace {

UplinkRoute route_for(std::string id, std::string site) {
    UplinkRoute route;
    route.kind = UplinkKind::telemetry;
    route.device_id = std::move(id);
    route.device_class = "sensors";
    route.captures = {{"site", std::move(site)}, {"sensor", "7"}};
    return route;
}

}  // namespace

TEST_CASE("the directory remembers devices and reports changes") {
    DeviceDirectory directory;
    CHECK(directory.remember(route_for("d1", "north")));
    CHECK_FALSE(directory.remember(route_for("d1", "north")));  // nothing new to persist
    CHECK(directory.remember(route_for("d1", "south")));        // moved: the latest wins
    REQUIRE(directory.find("d1") != nullptr);
    CHECK(directory.find("d1")->captures[0].second == "south");
    CHECK(directory.find("d2") == nullptr);
    UplinkRoute ignored;
    CHECK_FALSE(directory.remember(ignored));
    CHECK(directory.size() == 1);
    CHECK(directory.forget("d1"));
    CHECK(directory.size() == 0);
}

TEST_CASE("the directory survives serialize and deserialize") {
    DeviceDirectory directory;
    directory.remember(route_for("d1", "north"));
    directory.remember(route_for("d:2", "we\"ird/\\ value"));
    auto restored = DeviceDirectory::deserialize(directory.serialize());
    REQUIRE(std::holds_alternative<DeviceDirectory>(restored));
    const auto& copy = std::get<DeviceDirectory>(restored);
    CHECK(copy.size() == 2);
    REQUIRE(copy.find("d:2") != nullptr);
    CHECK(*copy.find("d:2") == *directory.find("d:2"));
    CHECK(copy.find("d:2")->device_class == "sensors");
}

TEST_CASE("a malformed directory document is an error message") {
    const char* documents[] = {
        "",
        "not json",
        "[]",
        R"({"format":"other","version":1,"devices":{}})",
        R"({"format":"hubgate-devices","version":2,"devices":{}})",
        R"({"format":"hubgate-devices","version":1,"devices":[]})",
        R"({"format":"hubgate-devices","version":1,"devices":{"d":{"class":1,"captures":[]}}})",
        R"({"format":"hubgate-devices","version":1,"devices":{"d":{"class":"c","captures":[["a"]]}}})",
    };
    for (const char* document : documents) {
        INFO(std::string(document));
        auto result = DeviceDirectory::deserialize(document);
        REQUIRE(std::holds_alternative<std::string>(result));
        CHECK_FALSE(std::get<std::string>(result).empty());
    }
}
