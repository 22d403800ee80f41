// docs/configuration.md's key reference, rendered from the schema table.
#include <sstream>

#include "gateway/config/schema.hpp"

namespace hubgate::config {

namespace {

std::string type_text(const KeySpec& spec) {
    switch (spec.kind) {
        case Kind::Enum: {
            std::string out;
            for (const auto& choice : spec.choices) {
                out += (out.empty() ? "" : " \\| ") + ("`\"" + std::string(choice) + "\"`");
            }
            return out;
        }
        case Kind::Table:
            return "table";
        case Kind::NamedTables:
            return "tables";
        case Kind::FreeTable:
            return "table (any keys)";
        case Kind::String:
            return "string";
        case Kind::Integer:
            return "integer";
        case Kind::Number:
            return "number";
        case Kind::Bool:
            return "boolean";
        case Kind::DurationText:
            return "duration";
        case Kind::Size:
            return "size";
        case Kind::Path:
            return "path";
        case Kind::FilePath:
            return "file path";
        case Kind::SecretPath:
            return "secret file path";
        case Kind::Pattern:
            return "path pattern";
        case Kind::SecretPattern:
            return "secret path pattern";
        case Kind::PluginPath:
            return "path (relative to plugins.dir)";
        case Kind::HostPort:
            return "host:port";
        case Kind::StringList:
            return "array of strings";
        case Kind::PathList:
            return "array of paths";
        case Kind::TableList:
            return "array of tables";
    }
    return "value";
}

std::string default_text(const KeySpec& spec) {
    if (spec.required)
        return "**required**";
    if (spec.default_literal.empty())
        return "unset";
    return "`" + std::string(spec.default_literal) + "`";
}

std::string heading(std::string_view path) {
    std::string out(path);
    for (size_t at = out.find('*'); at != std::string::npos; at = out.find('*')) {
        out.replace(at, 1, "<name>");
    }
    return out;
}

}  // namespace

std::string reference_markdown() {
    std::ostringstream out;
    auto rows = [&](std::string_view table_path) {
        out << "| key | type | default | description |\n| --- | --- | --- | --- |\n";
        for (const KeySpec* spec : keys_under(table_path)) {
            if (spec->kind == Kind::Table || spec->kind == Kind::NamedTables)
                continue;
            out << "| `" << heading(spec->path) << "` | " << type_text(*spec) << " | "
                << default_text(*spec) << " | " << spec->description << " |\n";
        }
    };
    out << "### Top-level keys\n\n";
    rows("");
    for (const auto& spec : schema()) {
        if (spec.kind != Kind::Table && spec.kind != Kind::NamedTables)
            continue;
        out << "\n### `[" << heading(spec.path) << "]`\n\n" << spec.description << "\n\n";
        if (!keys_under(spec.path).empty())
            rows(spec.path);
    }
    return out.str();
}

}  // namespace hubgate::config
