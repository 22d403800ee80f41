#pragma once
// A strict reader of the Prometheus text exposition format for tests: every line must be a HELP,
// a TYPE or a sample line; label values are unescaped. Independent of the writer it checks.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hubgate::test {

struct PromSample {
    std::string name;
    std::map<std::string, std::string> labels;
    double value = 0;
};

struct PromFamily {
    std::string help;
    std::string type;
    std::vector<PromSample> samples;
};

struct PromParse {
    std::map<std::string, PromFamily> families;  // by family name
    std::string error;                           // "line N: why"; empty when the text is valid
};

// Parses a whole exposition. A sample belongs to the family whose TYPE line precedes it; a
// histogram's _bucket/_sum/_count samples belong to the histogram family.
PromParse parse_prometheus_text(std::string_view text);

// The value of the sample `name` with exactly `labels`, if present.
std::optional<double> prom_value(const PromParse& parse, const std::string& family,
                                 const std::string& name,
                                 const std::map<std::string, std::string>& labels = {});

}  // namespace hubgate::test
