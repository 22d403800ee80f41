#include <doctest/doctest.h>

#include <map>

#include "hubgate/mappings/text_template.hpp"

using namespace hubgate::mappings;

namespace {

std::string render(std::string_view text, const std::map<std::string, std::string>& values,
                   std::string* missing = nullptr) {
    auto compiled = TextTemplate::compile(text);
    REQUIRE(std::holds_alternative<TextTemplate>(compiled));
    std::string out;
    const auto absent = std::get<TextTemplate>(compiled).render(
        [&](std::string_view name) -> std::optional<std::string_view> {
            const auto found = values.find(std::string(name));
            if (found == values.end())
                return std::nullopt;
            return std::string_view(found->second);
        },
        out);
    if (missing)
        *missing = absent ? std::string(*absent) : "";
    return out;
}

}  // namespace

TEST_CASE("templates substitute names and keep literal text") {
    const std::map<std::string, std::string> values = {{"site", "north"}, {"line", "7"}};
    CHECK(render("{site}-{line}", values) == "north-7");
    CHECK(render("plain", values) == "plain");
    CHECK(render("{{site}}={site}", values) == "{site}=north");
    CHECK(render("a.*+?[b]", values) == "a.*+?[b]");
    std::string missing;
    render("{site}-{nope}", values, &missing);
    CHECK(missing == "nope");
}

TEST_CASE("templates list the names they use, once, in order") {
    auto compiled = TextTemplate::compile("{b}{a}{b}");
    REQUIRE(std::holds_alternative<TextTemplate>(compiled));
    CHECK(std::get<TextTemplate>(compiled).variables() == std::vector<std::string>{"b", "a"});
}

TEST_CASE("bad templates are refused with the offset") {
    struct Row {
        const char* text;
        std::size_t offset;
    };
    const Row rows[] = {{"a{b", 1}, {"a}b", 1}, {"{}", 0}, {"x{a b}", 3}, {"{9a}", 1}};
    for (const Row& row : rows) {
        INFO(std::string(row.text));
        auto compiled = TextTemplate::compile(row.text);
        REQUIRE(std::holds_alternative<TemplateError>(compiled));
        CHECK(std::get<TemplateError>(compiled).offset == row.offset);
    }
}
