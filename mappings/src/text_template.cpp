#include "hubgate/mappings/text_template.hpp"

#include <algorithm>

#include "placeholder_names.hpp"

namespace hubgate::mappings {

std::variant<TextTemplate, TemplateError> TextTemplate::compile(std::string_view text) {
    TextTemplate result;
    result.text_ = std::string(text);
    std::string literal;
    const auto flush_literal = [&] {
        if (!literal.empty()) {
            result.parts_.push_back(Part{false, std::move(literal), 0});
            literal.clear();
        }
    };
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '}') {
            if (i + 1 < text.size() && text[i + 1] == '}') {
                literal += '}';
                ++i;
                continue;
            }
            return TemplateError{i, "unmatched '}' (write '}}' for a literal brace)"};
        }
        if (c != '{') {
            literal += c;
            continue;
        }
        if (i + 1 < text.size() && text[i + 1] == '{') {
            literal += '{';
            ++i;
            continue;
        }
        const std::size_t close = text.find('}', i + 1);
        if (close == std::string_view::npos) {
            return TemplateError{i, "unterminated '{' (write '{{' for a literal brace)"};
        }
        const std::string_view name = text.substr(i + 1, close - i - 1);
        if (name.empty()) {
            return TemplateError{i, "empty placeholder '{}'"};
        }
        for (std::size_t k = 0; k < name.size(); ++k) {
            if (!is_name_char(name[k], k == 0)) {
                return TemplateError{i + 1 + k, "placeholder '{" + std::string(name) +
                                                    "}' is not a name (letters, digits, '_')"};
            }
        }
        flush_literal();
        const auto known = std::find(result.variables_.begin(), result.variables_.end(), name);
        const auto index = static_cast<std::size_t>(known - result.variables_.begin());
        if (known == result.variables_.end()) {
            result.variables_.emplace_back(name);
        }
        result.parts_.push_back(Part{true, std::string(name), index});
        i = close;
    }
    flush_literal();
    return result;
}

}  // namespace hubgate::mappings
