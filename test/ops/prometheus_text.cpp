#include "prometheus_text.hpp"

#include <cctype>
#include <cstdlib>
#include <limits>
#include <regex>
#include <sstream>

namespace hubgate::test {
namespace {

const std::regex kName("[a-zA-Z_:][a-zA-Z0-9_:]*");
const std::regex kLabelName("[a-zA-Z_][a-zA-Z0-9_]*");

bool parse_value(const std::string& text, double& out) {
    if (text == "+Inf" || text == "-Inf" || text == "NaN") {
        const double inf = std::numeric_limits<double>::infinity();
        out = text == "NaN" ? std::numeric_limits<double>::quiet_NaN()
                            : (text[0] == '+' ? inf : -inf);
        return true;
    }
    char* end = nullptr;
    out = std::strtod(text.c_str(), &end);
    return !text.empty() && end == text.c_str() + text.size();
}

// name{a="x",b="y\"z"} value
std::string parse_sample(std::string_view line, PromSample& sample) {
    std::size_t i = 0;
    while (i < line.size() && line[i] != '{' && line[i] != ' ')
        ++i;
    sample.name = std::string(line.substr(0, i));
    if (!std::regex_match(sample.name, kName))
        return "bad metric name '" + sample.name + "'";
    if (i < line.size() && line[i] == '{') {
        ++i;
        while (true) {
            if (i < line.size() && line[i] == '}') {
                ++i;
                break;
            }
            std::size_t eq = line.find('=', i);
            if (eq == std::string_view::npos)
                return "label without '='";
            std::string label(line.substr(i, eq - i));
            if (!std::regex_match(label, kLabelName))
                return "bad label name '" + label + "'";
            i = eq + 1;
            if (i >= line.size() || line[i] != '"')
                return "label value not quoted";
            ++i;
            std::string value;
            while (true) {
                if (i >= line.size())
                    return "unterminated label value";
                char c = line[i++];
                if (c == '"')
                    break;
                if (c == '\n')
                    return "raw line feed in label value";
                if (c == '\\') {
                    if (i >= line.size())
                        return "dangling backslash";
                    char e = line[i++];
                    if (e == 'n')
                        value += '\n';
                    else if (e == '\\' || e == '"')
                        value += e;
                    else
                        return "bad escape";
                } else {
                    value += c;
                }
            }
            if (sample.labels.count(label))
                return "duplicate label " + label;
            sample.labels[label] = value;
            if (i < line.size() && line[i] == ',')
                ++i;
            else if (i >= line.size() || line[i] != '}')
                return "expected ',' or '}'";
        }
    }
    if (i >= line.size() || line[i] != ' ')
        return "no space before the value";
    std::string value(line.substr(i + 1));
    if (!parse_value(value, sample.value))
        return "bad value '" + value + "'";
    return {};
}

std::string family_of(const PromParse& parse, const std::string& sample_name) {
    if (parse.families.count(sample_name))
        return sample_name;
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
        std::string s(suffix);
        if (sample_name.size() > s.size() && sample_name.ends_with(s)) {
            auto base = sample_name.substr(0, sample_name.size() - s.size());
            auto it = parse.families.find(base);
            if (it != parse.families.end() && it->second.type == "histogram")
                return base;
        }
    }
    return {};
}

}  // namespace

PromParse parse_prometheus_text(std::string_view text) {
    PromParse out;
    if (!text.empty() && text.back() != '\n') {
        out.error = "text does not end with a line feed";
        return out;
    }
    std::istringstream in{std::string(text)};
    std::string line;
    int number = 0;
    auto fail = [&](const std::string& why) {
        out.error = "line " + std::to_string(number) + ": " + why + ": " + line;
        return out;
    };
    while (std::getline(in, line)) {
        ++number;
        if (line.empty())
            return fail("empty line");
        if (line.starts_with("# HELP ") || line.starts_with("# TYPE ")) {
            std::string rest = line.substr(7);
            auto space = rest.find(' ');
            if (space == std::string::npos)
                return fail("no text after the name");
            std::string name = rest.substr(0, space);
            if (!std::regex_match(name, kName))
                return fail("bad metric name");
            auto& family = out.families[name];
            if (line[2] == 'H') {
                family.help = rest.substr(space + 1);
            } else {
                std::string type = rest.substr(space + 1);
                if (type != "counter" && type != "gauge" && type != "histogram" &&
                    type != "summary" && type != "untyped")
                    return fail("bad type");
                if (!family.samples.empty())
                    return fail("TYPE after samples");
                family.type = type;
            }
            continue;
        }
        if (line[0] == '#')
            return fail("unexpected comment");
        PromSample sample;
        if (auto why = parse_sample(line, sample); !why.empty())
            return fail(why);
        auto family = family_of(out, sample.name);
        if (family.empty())
            return fail("sample without a family");
        out.families[family].samples.push_back(std::move(sample));
    }
    return out;
}

std::optional<double> prom_value(const PromParse& parse, const std::string& family,
                                 const std::string& name,
                                 const std::map<std::string, std::string>& labels) {
    auto it = parse.families.find(family);
    if (it == parse.families.end())
        return std::nullopt;
    for (const auto& sample : it->second.samples) {
        if (sample.name == name && sample.labels == labels)
            return sample.value;
    }
    return std::nullopt;
}

}  // namespace hubgate::test
