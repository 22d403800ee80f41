#pragma once
// Helpers for the mapping tests: load rule text, fake plugin hooks, unwrap results.

#include <doctest/doctest.h>

#include <map>
#include <string>
#include <variant>

#include "hubgate/mappings/mapping_set.hpp"

namespace hubgate::mappings::test {

// A scripted hook: each behaviour switch makes one call fail or rewrite.
class FakeHook : public MessageHook {
  public:
    explicit FakeHook(std::string name) : name_(std::move(name)) {}
    const std::string& name() const override { return name_; }

    std::optional<HookError> derive_device_id(std::string_view, std::string_view payload,
                                              std::string& device_id) override {
        ++derive_calls;
        if (fail_derive)
            return HookError{"cannot derive"};
        if (id_from_payload)
            device_id = std::string(payload);
        if (!fixed_id.empty())
            device_id = fixed_id;
        return std::nullopt;
    }
    std::optional<HookError> transform_uplink(std::string_view, std::string& payload,
                                              Properties& properties) override {
        if (fail_uplink)
            return HookError{"bad payload"};
        if (!uplink_prefix.empty())
            payload = uplink_prefix + payload;
        for (const auto& extra : add_properties)
            properties.push_back(extra);
        return std::nullopt;
    }
    std::optional<HookError> transform_downlink(std::string_view, std::string_view kind,
                                                std::string& payload) override {
        if (fail_downlink)
            return HookError{"cannot render"};
        payload = std::string(kind) + ":" + payload;
        return std::nullopt;
    }

    int derive_calls = 0;
    bool fail_derive = false;
    bool id_from_payload = false;
    std::string fixed_id;
    bool fail_uplink = false;
    bool fail_downlink = false;
    std::string uplink_prefix;
    Properties add_properties;

  private:
    std::string name_;
};

// Every diagnostic, one per line, for failure messages.
inline std::string describe(const std::vector<LoadDiagnostic>& diagnostics) {
    std::string text;
    for (const auto& d : diagnostics)
        text += d.to_string() + "\n";
    return text;
}

// Loads one mapping text named "rules.toml"; fails the test when it does not load.
inline MappingSet load_ok(const std::string& text, const LoadOptions& options = {}) {
    const MappingSource sources[] = {{"rules.toml", text}};
    LoadResult result = MappingSet::load_texts(sources, options);
    INFO(describe(result.diagnostics));
    REQUIRE(result.ok());
    return std::move(*result.set);
}

// Loads one mapping text that must fail; returns the diagnostics.
inline std::vector<LoadDiagnostic> load_errors(const std::string& text,
                                               const LoadOptions& options = {}) {
    const MappingSource sources[] = {{"bad.toml", text}};
    LoadResult result = MappingSet::load_texts(sources, options);
    CHECK_FALSE(result.ok());
    return result.diagnostics;
}

}  // namespace hubgate::mappings::test
