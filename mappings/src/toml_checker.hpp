#pragma once
// Shared checks of the mapping file loaders: every fault becomes a diagnostic at the TOML node
// it is about, with the dotted key path (`devices[0].uplink."a/{x}".send: ...`).

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

#include "hubgate/mappings/mapping_set.hpp"
#include "hubgate/mappings/text_template.hpp"
#include "hubgate/mappings/topic_pattern.hpp"

namespace hubgate::mappings {

std::string join_names(const std::vector<std::string>& names);  // "a, b" or "none"
std::string in_quotes(std::string_view text);

// Reports faults of one mapping file; the loaders derive from it.
class TomlChecker {
  public:
    TomlChecker(std::string_view file, std::vector<LoadDiagnostic>& diagnostics)
        : file_(file), diagnostics_(diagnostics) {}

    SourcePosition at(const toml::source_region& where) const;
    void error(const toml::source_region& where, std::string message);
    void error(const SourcePosition& where, std::string message);
    std::size_t diagnostic_count() const { return diagnostics_.size(); }

    static std::string child_path(const std::string& path, std::string_view key);
    // Unknown keys are errors that list the allowed ones.
    void check_keys(const toml::table& table, std::initializer_list<std::string_view> allowed,
                    const std::string& path);
    // The string at `key`; null when absent, or (with an error) when not a string.
    const std::string* get_string(const toml::table& table, std::string_view key,
                                  const std::string& path);
    std::optional<TextTemplate> compile_template(const toml::node& node, const std::string& text,
                                                 const std::string& path);
    // Every name of `tmpl` must be in `known`; the error lists what is known.
    bool check_names(const TextTemplate& tmpl, const std::vector<std::string>& known,
                     const toml::node& node, const std::string& path, std::string_view hint = {});
    // A topic pattern whose capture names are not reserved.
    std::optional<TopicPattern> compile_pattern(const toml::source_region& where,
                                                std::string_view text, const std::string& path);

  protected:
    std::string_view file_;
    std::vector<LoadDiagnostic>& diagnostics_;
};

}  // namespace hubgate::mappings
