#pragma once
// Markdown to man(7) roff, for the subset our docs use: headings, paragraphs, fenced code, bullet
// and numbered lists, tables, `code`, **bold**, *emphasis* and links. The man pages are rendered
// from docs/*.md at build time, so a page says what its doc says (packaging/man/CMakeLists.txt).

#include <string>
#include <string_view>
#include <vector>

namespace hubgate::man {

struct PageInfo {
    std::string name;                   // "hubgate.toml"
    std::string section;                // "5"
    std::string summary;                // the NAME line after "\-"
    std::string version;                // "hubgate 0.1.0": the footer's source
    std::vector<std::string> see_also;  // "hubgate(8)", ...
};

// The whole page. The Markdown's first-level heading gives way to NAME; the text before the
// first second-level heading becomes DESCRIPTION.
std::string markdown_to_roff(std::string_view markdown, const PageInfo& page);

// One line of Markdown text with its inline markup, as roff text (escaped, fonts switched).
std::string inline_roff(std::string_view text);

}  // namespace hubgate::man
