#pragma once
// What the name of a placeholder may hold, alike in topic patterns ("{site}") and templates.

namespace hubgate::mappings {

// A letter or '_', and after the first character also a digit.
inline bool is_name_char(char c, bool first) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_') {
        return true;
    }
    return !first && c >= '0' && c <= '9';
}

}  // namespace hubgate::mappings
