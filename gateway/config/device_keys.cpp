#include "gateway/config/device_keys.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "gateway/config/secret_file.hpp"
#include "gateway/config/value_reader.hpp"

namespace hubgate::config {

namespace {

constexpr size_t kMaxDeviceIdLength = 128;

bool is_base64(std::string_view text) {
    if (text.empty() || text.size() % 4 != 0)
        return false;
    const auto padding_at = text.find('=');
    const auto body = text.substr(0, padding_at);
    if (padding_at != std::string_view::npos) {
        const auto padding = text.substr(padding_at);
        if (padding.size() > 2 || padding.find_first_not_of('=') != std::string_view::npos) {
            return false;
        }
    }
    return std::all_of(body.begin(), body.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               c == '+' || c == '/';
    });
}

}  // namespace

bool is_valid_device_id(std::string_view id) {
    constexpr std::string_view kPunctuation = "-.%_*?!(),:=@$'";
    if (id.empty() || id.size() > kMaxDeviceIdLength)
        return false;
    return std::all_of(id.begin(), id.end(), [&](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               kPunctuation.find(c) != std::string_view::npos;
    });
}

DeviceKeys load_device_keys(const std::filesystem::path& file) {
    DeviceKeys out;
    auto problem = [&](uint32_t line, uint32_t col, std::string key, std::string message) {
        out.diagnostics.push_back({file, line, col, std::move(key), std::move(message)});
    };
    if (auto bad = secret_file_problem(file)) {
        problem(0, 0, {}, *bad);
        return out;
    }
    std::ifstream in(file, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    if (!in) {
        problem(0, 0, {}, std::string("cannot be read: ") + std::strerror(errno));
        return out;
    }
    toml::table table;
    try {
        table = toml::parse(text.str(), file.string());
    } catch (const toml::parse_error& e) {
        // toml++ may quote the text it stopped at, which here would be part of a key.
        problem(e.source().begin.line, e.source().begin.column, {},
                "TOML syntax error (details withheld: this file holds secrets)");
        return out;
    }
    for (const auto& [id, value] : table) {
        const auto& at = id.source().begin;
        const std::string name(id.str());
        if (!is_valid_device_id(name)) {
            problem(at.line, at.column, name,
                    "not a valid IoT Hub device id (1 to 128 ASCII letters, digits and "
                    "- . % _ * ? ! ( ) , : = @ $ ')");
        } else if (!value.is_string()) {
            problem(at.line, at.column, name,
                    "expected a base64 key string, found " + std::string(toml_type_name(value)));
        } else if (!is_base64(value.as_string()->get())) {
            problem(at.line, at.column, name, "the key is not valid base64");
        } else {
            out.keys.emplace(name, value.as_string()->get());
        }
    }
    std::sort(out.diagnostics.begin(), out.diagnostics.end(),
              [](const Diagnostic& a, const Diagnostic& b) { return a.line < b.line; });
    if (table.empty())
        problem(0, 0, {}, "holds no device keys");
    return out;
}

}  // namespace hubgate::config
