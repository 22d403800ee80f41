// load_config / parse_config: TOML syntax, then every key against the schema table, then the
// cross-field rules. Every fault is collected; none stops the others from being found.
#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

#include "gateway/config/config.hpp"
#include "gateway/config/cross_checks.hpp"
#include "gateway/config/device_keys.hpp"
#include "gateway/config/parsed_document.hpp"
#include "gateway/config/schema.hpp"
#include "gateway/config/value_reader.hpp"

namespace hubgate::config {

namespace {

std::string join(std::string_view parent, std::string_view name) {
    return parent.empty() ? std::string(name) : std::string(parent) + "." + std::string(name);
}

std::string_view last_segment(std::string_view path) {
    const auto dot = path.rfind('.');
    return dot == std::string_view::npos ? path : path.substr(dot + 1);
}

// Edit distance, for "did you mean" on unknown keys.
size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<size_t> row(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j)
        row[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
        size_t diagonal = row[0];
        row[0] = i;
        for (size_t j = 1; j <= b.size(); ++j) {
            const size_t above = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
            diagonal = above;
        }
    }
    return row[b.size()];
}

// Walks TOML tables against a key table: hubgate's schema, or a plugin's declared settings.
class Loader {
  public:
    Loader(std::filesystem::path file, ReadContext context,
           const std::vector<KeySpec>& keys = schema())
        : file_(std::move(file)), context_(std::move(context)), keys_(keys) {
        config.source_file = file_;
        config.base_dir = context_.base_dir;
    }

    void apply_defaults() {
        for (const auto& spec : schema()) {
            if (spec.default_literal.empty() || spec.path.find('*') != std::string_view::npos) {
                continue;
            }
            const auto document = toml::parse("v = " + std::string(spec.default_literal));
            const auto result = read_value(spec, *document.get("v"), context_);
            if (!result.ok() || (spec.check && !spec.check(result.value).empty())) {
                throw std::logic_error("invalid default for " + std::string(spec.path));
            }
            spec.assign(config, result.value);
        }
    }

    void walk(const toml::table& table, const std::string& schema_path,
              const std::string& display_path, const SourcePos& table_pos) {
        std::vector<std::pair<const toml::key*, const toml::node*>> entries;
        for (const auto& [key, node] : table)
            entries.emplace_back(&key, &node);
        std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
            const auto& pa = a.first->source().begin;
            const auto& pb = b.first->source().begin;
            return pa.line != pb.line ? pa.line < pb.line : pa.column < pb.column;
        });

        std::set<std::string_view> present;
        for (const auto& [key, node] : entries) {
            present.insert(key->str());
            read_entry(*key, *node, schema_path, display_path);
        }
        for (const KeySpec* spec : keys_under(keys_, schema_path)) {
            const auto name = last_segment(spec->path);
            if (name == "*" || present.contains(name))
                continue;
            report_missing(*spec, join(display_path, name), table_pos);
        }
    }

    void report_syntax_error(const toml::parse_error& e) {
        const auto& begin = e.source().begin;
        std::string message = "TOML syntax error: " + std::string(e.description());
        // toml++ meets the end of the line inside the string; say what usually causes that.
        if (message.find("control characters") != std::string::npos) {
            message += " (is a closing quote missing?)";
        }
        diagnostics.push_back({file_, begin.line, begin.column, {}, std::move(message)});
    }

    Config config;
    std::vector<Diagnostic> diagnostics;
    std::set<std::string> faulty;  // key paths already reported

  private:
    SourcePos position(const toml::source_region& region) const {
        return SourcePos{file_, region.begin.line, region.begin.column};
    }

    void error(const SourcePos& at, const std::string& key_path, std::string message) {
        diagnostics.push_back({at.file, at.line, at.col, key_path, std::move(message)});
        faulty.insert(key_path);
    }

    void read_entry(const toml::key& key, const toml::node& node, const std::string& schema_path,
                    const std::string& display_path) {
        const std::string name(key.str());
        std::string spec_path = join(schema_path, name);
        const std::string display = join(display_path, name);
        const KeySpec* spec = find_key(keys_, spec_path);
        if (spec == nullptr) {
            spec_path = join(schema_path, "*");
            spec = find_key(keys_, spec_path);
        }
        const SourcePos key_pos = position(key.source());
        // A plain value where only named tables may appear is a misspelt key, not a bad table.
        if (spec == nullptr || (spec->kind == Kind::NamedTables && !node.is_table())) {
            report_unknown(name, schema_path, display_path, key_pos);
            return;
        }
        config.positions[display] = key_pos;
        if (const auto* array = node.as_array()) {
            for (size_t i = 0; i < array->size(); ++i) {
                config.positions[display + "[" + std::to_string(i) + "]"] =
                    position((*array)[i].source());
            }
        }

        ReadResult result = read_value(*spec, node, context_);
        if (!result.ok()) {
            const SourcePos at = result.error_at ? position(result.error_at->source()) : key_pos;
            error(at, display, result.error);
            return;
        }
        if (spec->kind == Kind::NamedTables)
            result.value = name;
        if (spec->check) {
            if (auto problem = spec->check(result.value); !problem.empty()) {
                error(spec->kind == Kind::NamedTables ? key_pos : position(node.source()), display,
                      problem);
                return;
            }
        }
        if (spec->assign)
            spec->assign(config, result.value);
        if (spec->kind == Kind::Table || spec->kind == Kind::NamedTables) {
            walk(*node.as_table(), spec_path, display, key_pos);
        }
        if (spec->kind == Kind::TableList) {
            const auto& array = *node.as_array();  // read_value checked: tables only
            for (size_t i = 0; i < array.size(); ++i) {
                walk(*array[i].as_table(), spec_path, display + "[" + std::to_string(i) + "]",
                     position(array[i].source()));
            }
        }
    }

    void report_unknown(const std::string& name, const std::string& schema_path,
                        const std::string& display_path, const SourcePos& at) {
        std::string allowed;
        std::string suggestion;
        size_t best = 3;  // suggest only close matches
        bool named_tables = false;
        for (const KeySpec* spec : keys_under(keys_, schema_path)) {
            const auto known = last_segment(spec->path);
            if (known == "*") {
                named_tables = true;
                continue;
            }
            allowed += (allowed.empty() ? "" : ", ") + std::string(known);
            if (const size_t d = edit_distance(name, known); d < best && d < known.size()) {
                best = d;
                suggestion = known;
            }
        }
        if (named_tables) {
            allowed += ", or a [" + join(schema_path, "<name>") + "] table";
        }
        std::string message = "unknown key; ";
        if (!suggestion.empty()) {
            message += "did you mean '" + suggestion + "'? ";
            faulty.insert(join(display_path, suggestion));  // its "missing" would be the same fault
        }
        message += display_path.empty() ? "allowed top-level keys: "
                                        : "allowed keys in [" + display_path + "]: ";
        message += allowed;
        // Only hubgate.toml has top-level keys that a [table] header can swallow.
        const KeySpec* top_level = &keys_ == &schema() ? find_key(keys_, name) : nullptr;
        if (!schema_path.empty() && top_level != nullptr && top_level->kind != Kind::Table) {
            message += " ('" + name + "' is a top-level key: write it before the first [table])";
        }
        diagnostics.push_back({at.file, at.line, at.col, join(display_path, name), message});
    }

    void report_missing(const KeySpec& spec, const std::string& display, const SourcePos& at) {
        if (faulty.contains(display))
            return;  // already reported, e.g. as a misspelt table
        if (spec.required) {
            diagnostics.push_back({at.file, at.line, at.col, display, "required key is missing"});
            faulty.insert(display);
        }
        if (spec.kind == Kind::Table) {
            for (const KeySpec* child : keys_under(keys_, spec.path)) {
                report_missing(*child, join(display, last_segment(child->path)), at);
            }
        }
    }

    std::filesystem::path file_;
    ReadContext context_;
    const std::vector<KeySpec>& keys_;
};

// In device-keys mode, the keys file is part of the configuration: check its content too.
void check_device_keys_file(const Config& config, const std::set<std::string>& faulty,
                            std::vector<Diagnostic>& out) {
    if (config.auth.mode != AuthMode::DeviceKeys || config.auth.device_keys_file.empty() ||
        faulty.contains("auth.mode") || faulty.contains("auth.device_keys_file")) {
        return;
    }
    auto keys = load_device_keys(config.auth.device_keys_file);
    out.insert(out.end(), keys.diagnostics.begin(), keys.diagnostics.end());
}

ReadContext context_for(const std::filesystem::path& file) {
    ReadContext context;
    context.base_dir = file.parent_path();
    if (const char* dir = std::getenv("CREDENTIALS_DIRECTORY"); dir != nullptr && *dir != '\0') {
        context.credentials_dir = std::filesystem::path(dir);
    }
    return context;
}

std::filesystem::path absolute_path(const std::filesystem::path& file) {
    std::error_code ec;
    auto absolute = std::filesystem::absolute(file, ec);
    return ec ? file : absolute.lexically_normal();
}

}  // namespace

std::vector<Diagnostic> check_table(const std::vector<KeySpec>& keys, const toml::table& table,
                                    const std::filesystem::path& file,
                                    const std::string& display_path, const SourcePos& table_pos) {
    Loader loader(file, context_for(file), keys);
    loader.walk(table, "", display_path, table_pos);
    return std::move(loader.diagnostics);
}

Config defaults() {
    Loader loader({}, ReadContext{});
    loader.apply_defaults();
    fill_derived_values(loader.config);
    return loader.config;
}

LoadResult parse_config(std::string_view text, const std::filesystem::path& file) {
    const auto path = absolute_path(file);
    Loader loader(path, context_for(path));
    loader.apply_defaults();
    LoadResult result;
    try {
        toml::table root = toml::parse(text, path.string());
        loader.walk(root, "", "", SourcePos{path, 1, 1});
        run_cross_checks(loader.config, loader.faulty, loader.diagnostics);
        fill_derived_values(loader.config);
        check_device_keys_file(loader.config, loader.faulty, loader.diagnostics);
        loader.config.document = std::make_shared<const ParsedDocument>(std::move(root));
    } catch (const toml::parse_error& e) {
        loader.report_syntax_error(e);
    }
    std::stable_sort(loader.diagnostics.begin(), loader.diagnostics.end(),
                     [&path](const Diagnostic& a, const Diagnostic& b) {
                         // The config file first, then files it names (the device keys).
                         if (a.file != b.file)
                             return a.file == path;
                         return a.line != b.line ? a.line < b.line : a.col < b.col;
                     });
    result.config = std::move(loader.config);
    result.diagnostics = std::move(loader.diagnostics);
    result.status = result.diagnostics.empty() ? LoadStatus::Ok : LoadStatus::Invalid;
    return result;
}

LoadResult load_config(const std::filesystem::path& file) {
    const auto path = absolute_path(file);
    LoadResult unreadable;
    unreadable.status = LoadStatus::Unreadable;
    unreadable.config.source_file = path;
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
        unreadable.diagnostics.push_back({path, 0, 0, {}, "is a directory, not a config file"});
        return unreadable;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        unreadable.diagnostics.push_back({path, 0, 0, {}, std::string(std::strerror(errno))});
        return unreadable;
    }
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) {
        unreadable.diagnostics.push_back({path, 0, 0, {}, "read error"});
        return unreadable;
    }
    return parse_config(text.str(), path);
}

}  // namespace hubgate::config
