// CSV and key=value conversion. Every value is checked against its declared type, and every
// rejection names the line and the field, so an operator can find the device that sent it.
#include "text_records.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <optional>

namespace text_to_json {
namespace {

using nlohmann::ordered_json;

std::string_view trim(std::string_view text) {
    const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
    while (!text.empty() && is_space(text.front())) {
        text.remove_prefix(1);
    }
    while (!text.empty() && is_space(text.back())) {
        text.remove_suffix(1);
    }
    return text;
}

std::vector<std::string_view> split(std::string_view text, char separator) {
    std::vector<std::string_view> parts;
    size_t start = 0;
    for (size_t i = 0; i <= text.size(); ++i) {
        if (i == text.size() || text[i] == separator) {
            parts.push_back(text.substr(start, i - start));
            start = i + 1;
        }
    }
    return parts;
}

bool iequals(std::string_view a, std::string_view b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                      [](char x, char y) { return (x | 0x20) == (y | 0x20); });
}

// Where from_chars should start: after an optional '+', which from_chars does not take;
// nullptr for a sign it must not see twice ("+-1").
const char* number_start(std::string_view text) {
    if (text.front() != '+') {
        return text.data();
    }
    return text.size() > 1 && text[1] != '-' && text[1] != '+' ? text.data() + 1 : nullptr;
}

// Converts one value; nullopt when `text` is not a valid `type`. An empty value is null.
std::optional<ordered_json> typed_value(FieldType type, std::string_view text) {
    if (text.empty()) {
        return ordered_json(nullptr);
    }
    const char* end = text.data() + text.size();
    switch (type) {
        case FieldType::String:
            return ordered_json(std::string(text));
        case FieldType::Integer: {
            int64_t value = 0;
            const char* begin = number_start(text);
            if (begin == nullptr) {
                return std::nullopt;
            }
            const auto [ptr, ec] = std::from_chars(begin, end, value);
            if (ec != std::errc() || ptr != end) {
                return std::nullopt;
            }
            return ordered_json(value);
        }
        case FieldType::Number: {
            double value = 0;
            const char* begin = number_start(text);
            if (begin == nullptr) {
                return std::nullopt;
            }
            const auto [ptr, ec] = std::from_chars(begin, end, value);
            if (ec != std::errc() || ptr != end || !std::isfinite(value)) {
                return std::nullopt;  // JSON has no NaN or infinity
            }
            return ordered_json(value);
        }
        case FieldType::Boolean:
            if (iequals(text, "true") || text == "1") {
                return ordered_json(true);
            }
            if (iequals(text, "false") || text == "0") {
                return ordered_json(false);
            }
            return std::nullopt;
    }
    return std::nullopt;
}

const char* type_name(FieldType type) {
    switch (type) {
        case FieldType::String:
            return "a string";
        case FieldType::Number:
            return "a number";
        case FieldType::Integer:
            return "an integer";
        case FieldType::Boolean:
            return "a boolean";
    }
    return "?";
}

std::string value_error(size_t line, const Field& field, std::string_view text) {
    return "line " + std::to_string(line) + ": field '" + field.name + "': '" + std::string(text) +
           "' is not " + type_name(field.type);
}

// Splits one CSV line into fields; a field in double quotes may contain the separator and ""
// for a quote. nullopt when a quote is not closed.
std::optional<std::vector<std::string>> csv_fields(std::string_view line, char separator) {
    std::vector<std::string> fields(1);
    bool quoted = false;
    for (size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (quoted) {
            if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
                fields.back() += '"';
                ++i;
            } else if (c == '"') {
                quoted = false;
            } else {
                fields.back() += c;
            }
        } else if (c == '"' && trim(fields.back()).empty()) {
            fields.back().clear();
            quoted = true;
        } else if (c == separator) {
            fields.emplace_back();
        } else {
            fields.back() += c;
        }
    }
    if (quoted) {
        return std::nullopt;
    }
    return fields;
}

Converted convert_csv(const Format& format, std::string_view text) {
    ordered_json records = ordered_json::array();
    size_t line_number = 0;
    for (const auto raw_line : split(text, '\n')) {
        ++line_number;
        const auto line = trim(raw_line);
        if (line.empty()) {
            continue;
        }
        const auto fields = csv_fields(line, format.separator);
        if (!fields) {
            return "line " + std::to_string(line_number) + ": unterminated quoted field";
        }
        if (fields->size() != format.fields.size()) {
            return "line " + std::to_string(line_number) + ": " + std::to_string(fields->size()) +
                   " fields, expected " + std::to_string(format.fields.size());
        }
        ordered_json record = ordered_json::object();
        for (size_t i = 0; i < fields->size(); ++i) {
            const auto& field = format.fields[i];
            const auto value_text = trim((*fields)[i]);
            auto value = typed_value(field.type, value_text);
            if (!value) {
                return value_error(line_number, field, value_text);
            }
            record[field.name] = std::move(*value);
        }
        records.push_back(std::move(record));
    }
    if (records.empty()) {
        return std::string("no CSV line in the payload");
    }
    if (records.size() == 1) {
        return ordered_json(std::move(records[0]));
    }
    return records;
}

Converted convert_pairs(const Format& format, std::string_view text) {
    ordered_json record = ordered_json::object();
    size_t line_number = 0;
    for (const auto line : split(text, '\n')) {
        ++line_number;
        for (const auto raw_pair : split(line, format.separator)) {
            const auto pair = trim(raw_pair);
            if (pair.empty()) {
                continue;
            }
            const auto equals = pair.find('=');
            const auto key = trim(pair.substr(0, equals));
            if (equals == std::string_view::npos || key.empty()) {
                return "line " + std::to_string(line_number) + ": '" + std::string(pair) +
                       "' is not key=value";
            }
            const auto value_text = trim(pair.substr(equals + 1));
            const std::string name(key);
            if (record.contains(name)) {
                return "line " + std::to_string(line_number) + ": key '" + name + "' repeated";
            }
            const auto field = std::find_if(format.fields.begin(), format.fields.end(),
                                            [&](const Field& f) { return f.name == name; });
            if (field == format.fields.end()) {
                if (format.unknown_keys == UnknownKeys::Reject) {
                    return "line " + std::to_string(line_number) + ": unknown key '" + name + "'";
                }
                if (format.unknown_keys == UnknownKeys::KeepAsString) {
                    record[name] = *typed_value(FieldType::String, value_text);
                }
                continue;
            }
            auto value = typed_value(field->type, value_text);
            if (!value) {
                return value_error(line_number, *field, value_text);
            }
            record[name] = std::move(*value);
        }
    }
    if (record.empty()) {
        return std::string("no key=value pair in the payload");
    }
    return record;
}

}  // namespace

Converted convert(const Format& format, std::string_view text) {
    return format.csv ? convert_csv(format, text) : convert_pairs(format, text);
}

bool parse_field_type(std::string_view name, FieldType& type) {
    if (name == "string") {
        type = FieldType::String;
    } else if (name == "number") {
        type = FieldType::Number;
    } else if (name == "integer") {
        type = FieldType::Integer;
    } else if (name == "boolean") {
        type = FieldType::Boolean;
    } else {
        return false;
    }
    return true;
}

}  // namespace text_to_json
