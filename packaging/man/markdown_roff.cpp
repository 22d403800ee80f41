#include "markdown_roff.hpp"

#include <cctype>
#include <cstdint>
#include <cstdio>
#include <sstream>

namespace hubgate::man {

namespace {

// roff's special characters in running text: the escape character, and '-' (a plain '-' may be
// typeset as a hyphen, which breaks copying options and key names from the page).
void append_escaped(std::string& out, char c) {
    if (c == '\\')
        out += "\\e";
    else if (c == '-')
        out += "\\-";
    else
        out += c;
}

// A UTF-8 sequence starting at text[at] as roff's \[uXXXX] (troff reads bytes, not UTF-8);
// returns the bytes it used. A malformed sequence becomes U+FFFD, one byte at a time.
size_t append_utf8(std::string& out, std::string_view text, size_t at) {
    const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
    const unsigned char lead = byte(at);
    const size_t length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    uint32_t code = length == 1 ? 0xFFFD : lead & (0x7F >> length);
    bool valid = length > 1 && at + length <= text.size();
    for (size_t i = 1; valid && i < length; ++i) {
        valid = (byte(at + i) & 0xC0) == 0x80;
        code = (code << 6) | (byte(at + i) & 0x3F);
    }
    char name[16];
    std::snprintf(name, sizeof name, "\\[u%04X]", valid ? code : 0xFFFD);
    out += name;
    return valid ? length : 1;
}

std::string escaped(std::string_view text) {
    std::string out;
    for (size_t i = 0; i < text.size();) {
        if (static_cast<unsigned char>(text[i]) >= 0x80) {
            i += append_utf8(out, text, i);
        } else {
            append_escaped(out, text[i]);
            ++i;
        }
    }
    return out;
}

// A text line must not start with a control character ('.' or '\''), or roff reads a request.
std::string text_line(std::string line) {
    if (!line.empty() && (line[0] == '.' || line[0] == '\''))
        line.insert(0, "\\&");
    return line + "\n";
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
        s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
        s.remove_suffix(1);
    return s;
}

bool starts_with_fence(std::string_view line) {
    return trim(line).starts_with("```");
}

// "- item", "* item", "12. item": the marker's length (0 when not a list item) and, for a
// numbered item, its number.
size_t list_marker(std::string_view line, std::string& number) {
    size_t at = 0;
    while (at < line.size() && line[at] == ' ')
        ++at;
    if (at + 1 < line.size() && (line[at] == '-' || line[at] == '*') && line[at + 1] == ' ') {
        number.clear();
        return at + 2;
    }
    size_t digits = at;
    while (digits < line.size() && std::isdigit(static_cast<unsigned char>(line[digits])))
        ++digits;
    if (digits > at && digits + 1 < line.size() && line[digits] == '.' && line[digits + 1] == ' ') {
        number = std::string(line.substr(at, digits - at));
        return digits + 2;
    }
    return 0;
}

bool is_table_row(std::string_view line) {
    return trim(line).starts_with("|");
}

// Starts a block of its own: ends a paragraph or a list item's continuation lines.
bool starts_block(std::string_view line) {
    std::string number;
    return trim(line).empty() || line.starts_with("#") || starts_with_fence(line) ||
           is_table_row(line) || list_marker(line, number) > 0;
}

// A table row's cells.
std::vector<std::string> cells(std::string_view row) {
    row = trim(row);
    if (row.starts_with("|"))
        row.remove_prefix(1);
    if (row.ends_with("|") && !row.ends_with("\\|"))
        row.remove_suffix(1);
    std::vector<std::string> out(1);
    bool in_code = false;
    for (size_t i = 0; i < row.size(); ++i) {
        if (row[i] == '`')
            in_code = !in_code;
        if (row[i] == '\\' && i + 1 < row.size() && row[i + 1] == '|') {
            // As on GitHub: a '|' in a cell, even in `code`, is written "\|". Outside code it
            // stays escaped for inline_roff; inside code it is the character itself.
            out.back() += in_code ? "|" : "\\|";
            ++i;
        } else if (row[i] == '|') {
            out.emplace_back();
        } else {
            out.back() += row[i];
        }
    }
    for (auto& cell : out)
        cell = std::string(trim(cell));
    return out;
}

bool is_separator_row(std::string_view row) {
    for (char c : trim(row)) {
        if (c != '|' && c != '-' && c != ':' && c != ' ')
            return false;
    }
    return true;
}

// A table as a tagged list: the first column is the tag; the middle columns follow as
// "header: value"; the last column is the body. Terminal widths rarely fit a 4-column table.
std::string table_roff(const std::vector<std::string_view>& rows) {
    std::string out;
    const auto header = cells(rows.front());
    for (size_t r = 1; r < rows.size(); ++r) {
        if (is_separator_row(rows[r]))
            continue;
        const auto row = cells(rows[r]);
        out += ".TP\n" + text_line(inline_roff(row[0]));
        std::string middle;
        for (size_t c = 1; c + 1 < row.size(); ++c) {
            const std::string name = c < header.size() ? header[c] : std::string();
            middle += (middle.empty() ? "" : "; ") + inline_roff(name) + ": " + inline_roff(row[c]);
        }
        if (!middle.empty())
            out += text_line(middle) + (row.size() > 2 ? ".br\n" : "");
        if (row.size() > 1)
            out += text_line(inline_roff(row.back()));
    }
    return out;
}

// Section headings in capitals, as man pages write them; `code` keeps its case.
std::string upper(std::string_view text) {
    std::string out(text);
    bool in_code = false;
    for (char& c : out) {
        if (c == '`')
            in_code = !in_code;
        else if (!in_code)
            c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return out;
}

// Where the code span opening at text[at] closes: the next run of exactly as many backticks.
size_t closing_backticks(std::string_view text, size_t at) {
    size_t ticks = 0;
    while (at + ticks < text.size() && text[at + ticks] == '`')
        ++ticks;
    for (size_t from = at + ticks; from < text.size();) {
        const size_t run = text.find('`', from);
        if (run == std::string_view::npos)
            return run;
        size_t length = 0;
        while (run + length < text.size() && text[run + length] == '`')
            ++length;
        if (length == ticks)
            return run;
        from = run + length;
    }
    return std::string_view::npos;
}

}  // namespace

std::string inline_roff(std::string_view text) {
    std::string out;
    bool bold = false;
    bool italic = false;
    auto font = [&] { return bold ? "\\fB" : italic ? "\\fI" : "\\fR"; };
    for (size_t i = 0; i < text.size();) {
        const char c = text[i];
        if (c == '\\' && i + 1 < text.size() &&
            std::ispunct(static_cast<unsigned char>(text[i + 1]))) {
            append_escaped(out, text[i + 1]);
            i += 2;
        } else if (c == '`' && closing_backticks(text, i) != std::string_view::npos) {
            // A code span opens and closes with the same number of backticks, so "`` ` ``"
            // shows one; the spaces padding such a span are not part of it.
            const size_t ticks = text.find_first_not_of('`', i) - i;
            const size_t end = closing_backticks(text, i);
            auto code = text.substr(i + ticks, end - i - ticks);
            if (ticks > 1 && code.size() > 2 && code.front() == ' ' && code.back() == ' ')
                code = code.substr(1, code.size() - 2);
            out += "\\fB" + escaped(code) + font();
            i = end + ticks;
        } else if (text.substr(i, 2) == "**") {
            bold = !bold;
            out += font();
            i += 2;
        } else if (c == '*' && (italic || (i + 1 < text.size() && text[i + 1] != ' ' &&
                                           text.find('*', i + 1) != std::string_view::npos))) {
            italic = !italic;
            out += font();
            i += 1;
        } else if (const size_t close = c == '[' ? text.find(']', i) : std::string_view::npos;
                   close != std::string_view::npos && text.substr(close + 1, 1) == "(" &&
                   text.find(')', close) != std::string_view::npos) {
            const size_t end = text.find(')', close);
            const auto target = text.substr(close + 2, end - close - 2);
            out += inline_roff(text.substr(i + 1, close - i - 1)) + font();
            // Web links stay readable; links within the docs (anchors, relative files) do not
            // exist on an installed system.
            if (target.starts_with("http://") || target.starts_with("https://"))
                out += " <" + escaped(target) + ">";
            i = end + 1;
        } else if (static_cast<unsigned char>(c) >= 0x80) {
            i += append_utf8(out, text, i);
        } else {
            append_escaped(out, c);
            i += 1;
        }
    }
    if (bold || italic)
        out += "\\fR";
    return out;
}

std::string markdown_to_roff(std::string_view markdown, const PageInfo& page) {
    std::vector<std::string_view> lines;
    for (size_t start = 0; start < markdown.size();) {
        size_t end = markdown.find('\n', start);
        if (end == std::string_view::npos)
            end = markdown.size();
        lines.push_back(markdown.substr(start, end - start));
        start = end + 1;
    }

    std::string out = ".\\\" Generated by hubgate's md2man from Markdown; do not edit.\n";
    out += ".TH \"" + upper(page.name) + "\" \"" + page.section + "\" \"\" \"" + page.version +
           "\" \"hubgate manual\"\n";
    // No hyphenation, ragged right: key names, options and paths stay whole for copying.
    out += ".nh\n.ad l\n";
    out += ".SH NAME\n" + escaped(page.name) + " \\- " + escaped(page.summary) + "\n";
    bool in_section = false;  // false until the first "## " heading or DESCRIPTION
    auto open_section = [&] {
        if (!in_section)
            out += ".SH DESCRIPTION\n";
        in_section = true;
    };

    for (size_t i = 0; i < lines.size();) {
        const auto line = lines[i];
        std::string number;
        if (trim(line).empty()) {
            ++i;
        } else if (line.starts_with("# ")) {
            ++i;  // the title: NAME says it
        } else if (line.starts_with("## ")) {
            out += ".SH\n" + text_line(inline_roff(upper(trim(line.substr(3)))));
            in_section = true;
            ++i;
        } else if (line.starts_with("#")) {
            open_section();
            out += ".SS\n" + text_line(inline_roff(trim(line.substr(line.find(' ')))));
            ++i;
        } else if (starts_with_fence(line)) {
            open_section();
            out += ".PP\n.RS 4\n.nf\n";
            for (++i; i < lines.size() && !starts_with_fence(lines[i]); ++i)
                out += text_line(escaped(lines[i]));
            out += ".fi\n.RE\n";
            ++i;  // the closing fence
        } else if (is_table_row(line)) {
            open_section();
            std::vector<std::string_view> rows;
            for (; i < lines.size() && is_table_row(lines[i]); ++i)
                rows.push_back(lines[i]);
            out += table_roff(rows);
        } else if (const size_t marker = list_marker(line, number); marker > 0) {
            open_section();
            std::string item(trim(line.substr(marker)));
            for (++i; i < lines.size() && !starts_block(lines[i]); ++i)
                item += " " + std::string(trim(lines[i]));
            out += number.empty() ? ".IP \\(bu 2\n" : ".IP " + number + ". 4\n";
            out += text_line(inline_roff(item));
        } else {
            open_section();
            std::string paragraph(trim(line));
            for (++i; i < lines.size() && !starts_block(lines[i]); ++i)
                paragraph += " " + std::string(trim(lines[i]));
            out += ".PP\n" + text_line(inline_roff(paragraph));
        }
    }

    if (!page.see_also.empty()) {
        out += ".SH \"SEE ALSO\"\n";
        for (size_t i = 0; i < page.see_also.size(); ++i) {
            const auto& ref = page.see_also[i];
            const size_t paren = ref.find('(');
            out += ".BR " + escaped(ref.substr(0, paren)) + " " +
                   (paren == std::string::npos ? "" : ref.substr(paren)) +
                   (i + 1 < page.see_also.size() ? "," : "") + "\n";
        }
    }
    return out;
}

}  // namespace hubgate::man
