#pragma once
// Loads the `[devices.downlink]` templates and the `[devices.static]` device table of a class.

#include <cstdint>
#include <string>
#include <vector>

#include "compiled_rules.hpp"
#include "toml_checker.hpp"

namespace hubgate::mappings {

// Loader of the downlink side of one device class.
class DownlinkLoader : public TomlChecker {
  public:
    DownlinkLoader(std::string_view file, MappingSet::Impl& impl,
                   std::vector<LoadDiagnostic>& diagnostics)
        : TomlChecker(file, diagnostics), impl_(impl) {}

    // Static devices of the class; their capture names are added to `captures`.
    void load_static(const toml::table& table, const std::string& path, std::uint32_t class_index,
                     std::vector<std::string>& captures);
    // Downlink templates; they may use `captures` (every name the class can know).
    void load_downlinks(const toml::table& table, const std::string& path, DeviceClass& target,
                        const std::vector<std::string>& captures);

  private:
    bool load_downlink_options(const toml::table& spec, const std::string& path,
                               DownlinkTemplate& downlink);
    // `desired`'s `send`: "state" (the default) keeps `kind` desired, "patch" makes it
    // desired_patch. False (with an error) for anything else.
    bool desired_kind(const toml::table& spec, const std::string& path, DownlinkKind& kind);

    MappingSet::Impl& impl_;
};

}  // namespace hubgate::mappings
