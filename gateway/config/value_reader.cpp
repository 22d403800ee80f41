#include "gateway/config/value_reader.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <sstream>

#include "gateway/config/secret_file.hpp"
#include "gateway/config/units.hpp"

namespace hubgate::config {

namespace {

constexpr std::string_view kCredentialPrefix = "%d/";
constexpr std::string_view kDevicePlaceholder = "{device}";

ReadResult fail(std::string message, const toml::node* at = nullptr) {
    return ReadResult{{}, std::move(message), at};
}

ReadResult wrong_type(const KeySpec& spec, const toml::node& node) {
    return fail("expected " + std::string(kind_name(spec.kind)) + ", found " +
                    std::string(toml_type_name(node)),
                &node);
}

bool is_secret(Kind kind) {
    return kind == Kind::SecretPath || kind == Kind::SecretPattern;
}

// Resolves "%d/NAME" (secret kinds only) and relative paths; empty text stays empty.
std::optional<std::filesystem::path> resolve(const std::string& text, Kind kind,
                                             const ReadContext& context, std::string& error) {
    if (text.empty())
        return std::filesystem::path();
    if (is_secret(kind) && text.starts_with(kCredentialPrefix)) {
        if (!context.credentials_dir) {
            error = "\"" + text +
                    "\" uses %d, but $CREDENTIALS_DIRECTORY is not set (run under systemd with "
                    "LoadCredential=, or give the full path)";
            return std::nullopt;
        }
        return (*context.credentials_dir / text.substr(kCredentialPrefix.size()))
            .lexically_normal();
    }
    std::filesystem::path path(text);
    if (path.is_relative() && kind != Kind::PluginPath)
        path = context.base_dir / path;
    return path.lexically_normal();
}

std::string readable_file_problem(const std::filesystem::path& path) {
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0)
        return path.string() + ": " + std::strerror(errno);
    if (!S_ISREG(info.st_mode))
        return path.string() + " is not a regular file";
    if (::access(path.c_str(), R_OK) != 0) {
        return path.string() + " cannot be read: " + std::strerror(errno);
    }
    return {};
}

// A pattern must name one file per device: exactly the {device} placeholder, nothing else.
std::string pattern_problem(std::string_view text) {
    const auto at = text.find(kDevicePlaceholder);
    if (at == std::string_view::npos) {
        return "must contain {device} (one file per device), e.g. "
               "\"/etc/hubgate/certs/{device}.pem\"";
    }
    std::string rest(text);
    rest.erase(at, kDevicePlaceholder.size());
    if (rest.find_first_of("{}") != std::string::npos) {
        return "the only placeholder allowed is {device}";
    }
    return {};
}

ReadResult read_path_like(const KeySpec& spec, const toml::node& node, const ReadContext& context) {
    const std::string& text = node.as_string()->get();
    if (spec.kind == Kind::Pattern || spec.kind == Kind::SecretPattern) {
        if (auto problem = pattern_problem(text); !problem.empty())
            return fail(problem, &node);
    }
    std::string error;
    auto path = resolve(text, spec.kind, context, error);
    if (!path)
        return fail(error, &node);
    if (!path->empty()) {
        if (spec.kind == Kind::SecretPath) {
            if (auto problem = secret_file_problem(*path))
                return fail(*problem, &node);
        } else if (spec.kind == Kind::FilePath) {
            if (auto problem = readable_file_problem(*path); !problem.empty()) {
                return fail(problem, &node);
            }
        }
    }
    if (spec.kind == Kind::Pattern || spec.kind == Kind::SecretPattern) {
        return ReadResult{path->string(), {}, nullptr};
    }
    return ReadResult{*path, {}, nullptr};
}

ReadResult read_string_array(const KeySpec& spec, const toml::node& node,
                             const ReadContext& context) {
    const auto* array = node.as_array();
    if (array == nullptr)
        return wrong_type(spec, node);
    std::vector<std::string> strings;
    std::vector<std::filesystem::path> paths;
    for (const auto& element : *array) {
        if (!element.is_string()) {
            return fail("expected every element to be a string, found " +
                            std::string(toml_type_name(element)),
                        &element);
        }
        const std::string& text = element.as_string()->get();
        if (text.empty())
            return fail("elements must not be empty", &element);
        if (spec.kind == Kind::PathList) {
            std::string error;
            paths.push_back(*resolve(text, Kind::Path, context, error));
        } else {
            strings.push_back(text);
        }
    }
    if (spec.kind == Kind::PathList)
        return ReadResult{std::move(paths), {}, nullptr};
    return ReadResult{std::move(strings), {}, nullptr};
}

}  // namespace

std::string_view toml_type_name(const toml::node& node) {
    switch (node.type()) {
        case toml::node_type::table:
            return "a table";
        case toml::node_type::array:
            return "an array";
        case toml::node_type::string:
            return "a string";
        case toml::node_type::integer:
            return "an integer";
        case toml::node_type::floating_point:
            return "a float";
        case toml::node_type::boolean:
            return "a boolean";
        case toml::node_type::date:
            return "a date";
        case toml::node_type::time:
            return "a time";
        case toml::node_type::date_time:
            return "a date-time";
        case toml::node_type::none:
            break;
    }
    return "nothing";
}

std::optional<Endpoint> parse_endpoint(std::string_view text, std::string& error) {
    auto parse_port = [&](std::string_view digits) -> std::optional<uint16_t> {
        unsigned value = 0;
        const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
        if (ec != std::errc() || end != digits.data() + digits.size() || value == 0 ||
            value > 65535) {
            error = "port must be a number from 1 to 65535, got \"" + std::string(digits) + "\"";
            return std::nullopt;
        }
        return static_cast<uint16_t>(value);
    };
    if (text.empty()) {
        error = "must not be empty";
        return std::nullopt;
    }
    Endpoint out;
    std::string_view port_text;
    if (text.front() == '[') {
        const auto close = text.find(']');
        if (close == std::string_view::npos) {
            error = "missing ']' after the IPv6 address";
            return std::nullopt;
        }
        out.host = std::string(text.substr(1, close - 1));
        const auto rest = text.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':') {
                error = "expected ':port' after ']'";
                return std::nullopt;
            }
            port_text = rest.substr(1);
        }
    } else if (std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        port_text = text;
    } else {
        const auto colon = text.find(':');
        if (colon != std::string_view::npos &&
            text.find(':', colon + 1) != std::string_view::npos) {
            error = "write an IPv6 address in brackets, e.g. \"[::1]:9100\"";
            return std::nullopt;
        }
        out.host = std::string(text.substr(0, colon));
        if (colon != std::string_view::npos)
            port_text = text.substr(colon + 1);
        if (out.host.empty()) {
            error = "missing host before ':'";
            return std::nullopt;
        }
    }
    if (!port_text.empty() || text.back() == ':') {
        auto port = parse_port(port_text);
        if (!port)
            return std::nullopt;
        out.port = *port;
    }
    return out;
}

ReadResult read_value(const KeySpec& spec, const toml::node& node, const ReadContext& context) {
    switch (spec.kind) {
        case Kind::Table:
        case Kind::NamedTables:
            return node.is_table() ? ReadResult{} : wrong_type(spec, node);
        case Kind::FreeTable: {
            if (!node.is_table())
                return wrong_type(spec, node);
            std::ostringstream json;
            json << toml::json_formatter(*node.as_table(), toml::format_flags::none);
            return ReadResult{json.str(), {}, nullptr};
        }
        case Kind::String:
            if (!node.is_string())
                return wrong_type(spec, node);
            return ReadResult{node.as_string()->get(), {}, nullptr};
        case Kind::Enum: {
            if (!node.is_string())
                return wrong_type(spec, node);
            const std::string& text = node.as_string()->get();
            for (size_t i = 0; i < spec.choices.size(); ++i) {
                if (spec.choices[i] == text)
                    return ReadResult{static_cast<int64_t>(i), {}, nullptr};
            }
            std::string allowed;
            for (const auto& choice : spec.choices) {
                allowed += (allowed.empty() ? "\"" : ", \"") + std::string(choice) + "\"";
            }
            return fail("unknown value \"" + text + "\"; expected one of " + allowed, &node);
        }
        case Kind::Integer:
            if (!node.is_integer())
                return wrong_type(spec, node);
            return ReadResult{node.as_integer()->get(), {}, nullptr};
        case Kind::Number:
            if (node.is_integer()) {
                return ReadResult{static_cast<double>(node.as_integer()->get()), {}, nullptr};
            }
            if (!node.is_floating_point())
                return wrong_type(spec, node);
            if (!std::isfinite(node.as_floating_point()->get())) {
                return fail("must be a finite number", &node);
            }
            return ReadResult{node.as_floating_point()->get(), {}, nullptr};
        case Kind::Bool:
            if (!node.is_boolean())
                return wrong_type(spec, node);
            return ReadResult{node.as_boolean()->get(), {}, nullptr};
        case Kind::DurationText: {
            if (!node.is_string())
                return wrong_type(spec, node);
            auto parsed = parse_duration(node.as_string()->get());
            if (!parsed)
                return fail(parsed.error, &node);
            return ReadResult{*parsed.value, {}, nullptr};
        }
        case Kind::Size: {
            if (!node.is_string())
                return wrong_type(spec, node);
            auto parsed = parse_size(node.as_string()->get());
            if (!parsed)
                return fail(parsed.error, &node);
            return ReadResult{*parsed.value, {}, nullptr};
        }
        case Kind::Path:
        case Kind::FilePath:
        case Kind::SecretPath:
        case Kind::Pattern:
        case Kind::SecretPattern:
        case Kind::PluginPath:
            if (!node.is_string())
                return wrong_type(spec, node);
            return read_path_like(spec, node, context);
        case Kind::HostPort: {
            if (!node.is_string())
                return wrong_type(spec, node);
            std::string error;
            auto endpoint = parse_endpoint(node.as_string()->get(), error);
            if (!endpoint)
                return fail(error, &node);
            return ReadResult{*endpoint, {}, nullptr};
        }
        case Kind::StringList:
        case Kind::PathList:
            return read_string_array(spec, node, context);
        case Kind::TableList: {
            // Only the shape here: the loader walks each table against the declared keys.
            const auto* array = node.as_array();
            if (array == nullptr)
                return wrong_type(spec, node);
            for (const auto& element : *array) {
                if (!element.is_table()) {
                    return fail("expected a table in the array, found " +
                                    std::string(toml_type_name(element)),
                                &element);
                }
            }
            return ReadResult{std::monostate{}, {}, nullptr};
        }
    }
    return fail("unsupported kind", &node);
}

}  // namespace hubgate::config
