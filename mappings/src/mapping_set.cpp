#include "hubgate/mappings/mapping_set.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <toml++/toml.h>

#include "compiled_rules.hpp"
#include "mapping_loader.hpp"
#include "rule_overlaps.hpp"

namespace hubgate::mappings {

namespace {

bool has_errors(const std::vector<LoadDiagnostic>& diagnostics) {
    return std::any_of(diagnostics.begin(), diagnostics.end(), [](const LoadDiagnostic& d) {
        return d.severity == LoadDiagnostic::Severity::error;
    });
}

void parse_and_load(std::string_view text, std::string_view file, const LoadOptions& options,
                    MappingSet::Impl& impl, std::vector<LoadDiagnostic>& diagnostics) {
    try {
        const toml::table root = toml::parse(text, file);
        load_mapping_file(root, file, options.hooks, impl, diagnostics);
    } catch (const toml::parse_error& failure) {
        diagnostics.push_back(
            LoadDiagnostic{LoadDiagnostic::Severity::error, std::string(file),
                           static_cast<std::uint32_t>(failure.source().begin.line),
                           static_cast<std::uint32_t>(failure.source().begin.column),
                           std::string(failure.description())});
    }
}

// Whether MQTT filter `wide` matches every topic `narrow` matches.
bool filter_covers(std::string_view wide, std::string_view narrow) {
    // MQTT: a leading wildcard never matches a topic whose first level starts with '$'.
    if (narrow.starts_with('$') && !wide.starts_with('$')) {
        return false;
    }
    for (;;) {
        const std::size_t wide_slash = wide.find('/');
        const std::size_t narrow_slash = narrow.find('/');
        const std::string_view w = wide.substr(0, wide_slash);
        const std::string_view n = narrow.substr(0, narrow_slash);
        if (w == "#")
            return true;
        if (n == "#")
            return false;
        if (w != "+" && w != n)
            return false;
        const bool wide_end = wide_slash == std::string_view::npos;
        const bool narrow_end = narrow_slash == std::string_view::npos;
        if (wide_end || narrow_end) {
            // `a/#` also matches `a`; otherwise both must end together.
            return wide_end == narrow_end || (narrow_end && wide.substr(wide_slash + 1) == "#");
        }
        wide.remove_prefix(wide_slash + 1);
        narrow.remove_prefix(narrow_slash + 1);
    }
}

// Cross-file checks, then the trie. False when there is any error.
bool finish(MappingSet::Impl& impl, std::vector<LoadDiagnostic>& diagnostics,
            const LoadOptions& options) {
    if (impl.rules.empty() && !has_errors(diagnostics)) {
        diagnostics.push_back(LoadDiagnostic{LoadDiagnostic::Severity::warning, "", 0, 0,
                                             "no uplink rules: nothing will be routed"});
    }
    report_overlaps(impl, diagnostics);
    if (has_errors(diagnostics))
        return false;
    for (std::size_t i = 0; i < impl.rules.size(); ++i) {
        impl.trie.insert(impl.rules[i].pattern, static_cast<std::uint32_t>(i));
    }
    impl.clock = options.clock ? options.clock : [] { return std::chrono::system_clock::now(); };
    return true;
}

}  // namespace

std::string LoadDiagnostic::to_string() const {
    std::string where;
    if (!file.empty()) {
        where = file + ":";
        if (line > 0) {
            where += std::to_string(line) + ":" + std::to_string(column) + ":";
        }
        where += ' ';
    }
    return where + (severity == Severity::error ? "error: " : "warning: ") + message;
}

MappingSet::MappingSet(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
MappingSet::MappingSet(MappingSet&&) noexcept = default;
MappingSet& MappingSet::operator=(MappingSet&&) noexcept = default;
MappingSet::~MappingSet() = default;

std::size_t MappingSet::rule_count() const {
    return impl_->rules.size();
}

LoadResult MappingSet::load_texts(std::span<const MappingSource> sources,
                                  const LoadOptions& options) {
    auto impl = std::make_unique<Impl>();
    std::vector<LoadDiagnostic> diagnostics;
    for (const MappingSource& source : sources) {
        impl->file_names.push_back(source.name);
        parse_and_load(source.text, impl->file_names.back(), options, *impl, diagnostics);
    }
    LoadResult result;
    if (finish(*impl, diagnostics, options))
        result.set = MappingSet(std::move(impl));
    result.diagnostics = std::move(diagnostics);
    return result;
}

LoadResult MappingSet::load_files(std::span<const std::string> paths, const LoadOptions& options) {
    auto impl = std::make_unique<Impl>();
    std::vector<LoadDiagnostic> diagnostics;
    for (const std::string& path : paths) {
        impl->file_names.push_back(path);
        std::ifstream in(path, std::ios::binary);
        std::ostringstream text;
        if (!in || !(text << in.rdbuf())) {
            diagnostics.push_back(LoadDiagnostic{LoadDiagnostic::Severity::error, path, 0, 0,
                                                 "cannot read the mapping file"});
            continue;
        }
        parse_and_load(text.str(), impl->file_names.back(), options, *impl, diagnostics);
    }
    LoadResult result;
    if (finish(*impl, diagnostics, options))
        result.set = MappingSet(std::move(impl));
    result.diagnostics = std::move(diagnostics);
    return result;
}

std::vector<std::string> MappingSet::local_subscriptions() const {
    std::vector<std::string> filters;
    for (const UplinkRule& rule : impl_->rules) {
        filters.push_back(rule.pattern.mqtt_filter());
    }
    std::sort(filters.begin(), filters.end());
    filters.erase(std::unique(filters.begin(), filters.end()), filters.end());
    std::vector<std::string> kept;
    for (std::size_t i = 0; i < filters.size(); ++i) {
        bool covered = false;
        for (std::size_t j = 0; j < filters.size() && !covered; ++j) {
            covered = i != j && filter_covers(filters[j], filters[i]);
        }
        if (!covered)
            kept.push_back(filters[i]);
    }
    return kept;
}

}  // namespace hubgate::mappings
