#include "toml_checker.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace hubgate::mappings {

namespace {

// Names a capture may not take: they are built-in template values.
constexpr std::array<std::string_view, 4> kReservedCaptureNames = {"device_id", "now", "version",
                                                                   "properties"};

}  // namespace

std::string join_names(const std::vector<std::string>& names) {
    std::string out;
    for (const std::string& name : names) {
        if (!out.empty())
            out += ", ";
        out += name;
    }
    return out.empty() ? "none" : out;
}

std::string in_quotes(std::string_view text) {
    return "\"" + std::string(text) + "\"";
}

SourcePosition TomlChecker::at(const toml::source_region& where) const {
    return SourcePosition{file_, static_cast<std::uint32_t>(where.begin.line),
                          static_cast<std::uint32_t>(where.begin.column)};
}

void TomlChecker::error(const toml::source_region& where, std::string message) {
    diagnostics_.push_back(LoadDiagnostic{LoadDiagnostic::Severity::error, std::string(file_),
                                          static_cast<std::uint32_t>(where.begin.line),
                                          static_cast<std::uint32_t>(where.begin.column),
                                          std::move(message)});
}
void TomlChecker::error(const SourcePosition& where, std::string message) {
    diagnostics_.push_back(LoadDiagnostic{LoadDiagnostic::Severity::error, std::string(file_),
                                          where.line, where.column, std::move(message)});
}

std::string TomlChecker::child_path(const std::string& path, std::string_view key) {
    const bool plain = !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
    });
    const std::string shown = plain ? std::string(key) : in_quotes(key);
    return path.empty() ? shown : path + "." + shown;
}

void TomlChecker::check_keys(const toml::table& table,
                             std::initializer_list<std::string_view> allowed,
                             const std::string& path) {
    for (const auto& [key, node] : table) {
        if (std::find(allowed.begin(), allowed.end(), key.str()) != allowed.end())
            continue;
        std::vector<std::string> names(allowed.begin(), allowed.end());
        error(key.source(),
              child_path(path, key.str()) + ": unknown key (allowed: " + join_names(names) + ")");
    }
}

const std::string* TomlChecker::get_string(const toml::table& table, std::string_view key,
                                           const std::string& path) {
    const toml::node* node = table.get(key);
    if (!node)
        return nullptr;
    if (const auto* value = node->as_string())
        return &value->get();
    error(node->source(), child_path(path, key) + ": must be a string");
    return nullptr;
}

std::optional<TextTemplate> TomlChecker::compile_template(const toml::node& node,
                                                          const std::string& text,
                                                          const std::string& path) {
    auto compiled = TextTemplate::compile(text);
    if (auto* failure = std::get_if<TemplateError>(&compiled)) {
        error(node.source(), path + ": bad template " + in_quotes(text) + ": " + failure->message +
                                 " (at offset " + std::to_string(failure->offset) + ")");
        return std::nullopt;
    }
    return std::get<TextTemplate>(std::move(compiled));
}

bool TomlChecker::check_names(const TextTemplate& tmpl, const std::vector<std::string>& known,
                              const toml::node& node, const std::string& path,
                              std::string_view hint) {
    bool ok = true;
    for (const std::string& name : tmpl.variables()) {
        if (std::find(known.begin(), known.end(), name) != known.end())
            continue;
        error(node.source(), path + ": unknown name {" + name + "} in " + in_quotes(tmpl.text()) +
                                 " (known here: " + join_names(known) + ")" + std::string(hint));
        ok = false;
    }
    return ok;
}

std::optional<TopicPattern> TomlChecker::compile_pattern(const toml::source_region& where,
                                                         std::string_view text,
                                                         const std::string& path) {
    auto compiled = TopicPattern::compile(text);
    if (auto* failure = std::get_if<PatternError>(&compiled)) {
        error(where, path + ": bad topic pattern " + in_quotes(text) + ": " + failure->message +
                         " (at offset " + std::to_string(failure->offset) + ")");
        return std::nullopt;
    }
    TopicPattern pattern = std::get<TopicPattern>(std::move(compiled));
    for (const std::string& name : pattern.capture_names()) {
        if (std::find(kReservedCaptureNames.begin(), kReservedCaptureNames.end(), name) !=
            kReservedCaptureNames.end()) {
            error(where, path + ": capture {" + name +
                             "} uses a reserved name (device_id, now, version, properties)");
            return std::nullopt;
        }
    }
    return pattern;
}

}  // namespace hubgate::mappings
