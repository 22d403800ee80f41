#pragma once
// A text template: literal text with `{name}` placeholders; `{{` and `}}` are literal braces.
// Names are ASCII letters, digits and '_' (not starting with a digit).

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace hubgate::mappings {

// Why a template does not compile; `offset` is the byte offset in the template text.
struct TemplateError {
    std::size_t offset = 0;
    std::string message;
};

// A compiled template.
class TextTemplate {
  public:
    static std::variant<TextTemplate, TemplateError> compile(std::string_view text);

    // Appends the rendering to `out`. `lookup(name)` returns std::optional<std::string_view>;
    // when it has no value, returns the missing name (and `out` holds a partial rendering).
    template <typename Lookup>
    std::optional<std::string_view> render(Lookup&& lookup, std::string& out) const {
        for (const Part& part : parts_) {
            if (!part.is_variable) {
                out += part.text;
                continue;
            }
            std::optional<std::string_view> value = lookup(std::string_view(part.text));
            if (!value) {
                return std::string_view(part.text);
            }
            out += *value;
        }
        return std::nullopt;
    }

    // Like render(), but `lookup(index)` gets the index of the name in variables(), so callers
    // can resolve names once, at load time. Returns the missing name, if any.
    template <typename Lookup>
    std::optional<std::string_view> render_indexed(Lookup&& lookup, std::string& out) const {
        for (const Part& part : parts_) {
            if (!part.is_variable) {
                out += part.text;
                continue;
            }
            std::optional<std::string_view> value = lookup(part.variable);
            if (!value) {
                return std::string_view(part.text);
            }
            out += *value;
        }
        return std::nullopt;
    }

    const std::string& text() const { return text_; }
    // Names used, in order of first use, without repeats.
    const std::vector<std::string>& variables() const { return variables_; }
    bool is_literal() const { return variables_.empty(); }

  private:
    struct Part {
        bool is_variable;
        std::string text;
        std::size_t variable;  // index in variables_ when is_variable
    };
    std::string text_;
    std::vector<Part> parts_;
    std::vector<std::string> variables_;
};

}  // namespace hubgate::mappings
