#pragma once
// Parsing of CSV lines and key=value text into JSON, driven by a configured field list. Pure
// functions: no I/O, no state between calls; bad input is an error string, never an exception
// (except std::bad_alloc).

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace text_to_json {

enum class FieldType { String, Number, Integer, Boolean };

// One configured field: its JSON name and how its text is converted.
struct Field {
    std::string name;
    FieldType type = FieldType::String;
};

// What to do with a key=value pair whose key is not a configured field.
enum class UnknownKeys { KeepAsString, Drop, Reject };

// The parsing rules of one plugin instance.
struct Format {
    bool csv = true;       // false: key=value pairs
    char separator = ',';  // between CSV fields, or between pairs (newlines always separate)
    std::vector<Field> fields;
    UnknownKeys unknown_keys = UnknownKeys::KeepAsString;
};

// A JSON document, or the reason the text could not be converted.
using Converted = std::variant<nlohmann::ordered_json, std::string>;

// CSV: one object per non-blank line; one line gives an object, several give an array.
// key=value: every pair of the payload goes into one object.
Converted convert(const Format& format, std::string_view text);

// Parses a field type name ("string", "number", "integer", "boolean"); false when unknown.
bool parse_field_type(std::string_view name, FieldType& type);

}  // namespace text_to_json
