// Compiles and renders arbitrary templates; rendering with every name known never reports a
// missing one, and rendering a template without names gives its unescaped text.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "fuzz_check.hpp"
#include "hubgate/mappings/text_template.hpp"

using hubgate::mappings::TemplateError;
using hubgate::mappings::TextTemplate;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto compiled = TextTemplate::compile(text);
    if (const auto* error = std::get_if<TemplateError>(&compiled)) {
        FUZZ_CHECK(error->offset <= text.size());
        return 0;
    }
    const TextTemplate& tmpl = std::get<TextTemplate>(compiled);
    std::string all_known;
    const auto missing = tmpl.render(
        [](std::string_view name) -> std::optional<std::string_view> { return name; }, all_known);
    FUZZ_CHECK(!missing);
    std::string by_index;
    const auto missing_indexed = tmpl.render_indexed(
        [&](std::size_t index) -> std::optional<std::string_view> {
            FUZZ_CHECK(index < tmpl.variables().size());
            return std::string_view(tmpl.variables()[index]);
        },
        by_index);
    FUZZ_CHECK(!missing_indexed);
    FUZZ_CHECK(by_index == all_known);
    if (tmpl.is_literal()) {
        FUZZ_CHECK(all_known.size() <= text.size());
    }
    std::string partial;
    const auto absent = tmpl.render(
        [](std::string_view name) -> std::optional<std::string_view> {
            if (name.size() % 2 == 0)
                return std::nullopt;
            return name;
        },
        partial);
    if (absent)
        FUZZ_CHECK(absent->size() % 2 == 0);
    return 0;
}
