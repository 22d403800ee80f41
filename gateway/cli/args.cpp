#include "gateway/cli/args.hpp"

#include <algorithm>

namespace hubgate::cli {

namespace {
bool contains(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}
}  // namespace

Args::Args(std::span<const std::string> argv, const std::vector<std::string>& with_value,
           const std::vector<std::string>& flags,
           const std::map<std::string, std::string>& aliases) {
    for (size_t i = 0; i < argv.size(); ++i) {
        const std::string& a = argv[i];
        if (a == "--") {
            positional_.insert(positional_.end(), argv.begin() + static_cast<long>(i) + 1,
                               argv.end());
            break;
        }
        if (a.size() < 2 || a[0] != '-') {
            positional_.push_back(a);
            continue;
        }
        std::string name = a.substr(a[1] == '-' ? 2 : 1);
        std::optional<std::string> inline_value;
        if (auto eq = name.find('='); eq != std::string::npos) {
            inline_value = name.substr(eq + 1);
            name.resize(eq);
        }
        if (auto it = aliases.find(name); it != aliases.end())
            name = it->second;
        if (contains(with_value, name)) {
            if (inline_value) {
                values_.emplace(name, *inline_value);
            } else if (i + 1 < argv.size()) {
                values_.emplace(name, argv[++i]);
            } else {
                throw UsageError("option --" + name + " needs a value");
            }
        } else if (contains(flags, name) && !inline_value) {
            flags_.push_back(name);
        } else {
            throw UsageError("unknown option " + a);
        }
    }
}

std::optional<std::string> Args::get(const std::string& name) const {
    auto range = values_.equal_range(name);
    if (range.first == range.second)
        return std::nullopt;
    return std::prev(range.second)->second;  // the last occurrence wins
}

std::string Args::require(const std::string& name) const {
    auto v = get(name);
    if (!v)
        throw UsageError("missing required option --" + name);
    return *v;
}

std::vector<std::string> Args::get_all(const std::string& name) const {
    std::vector<std::string> out;
    auto range = values_.equal_range(name);
    for (auto it = range.first; it != range.second; ++it)
        out.push_back(it->second);
    return out;
}

bool Args::flag(const std::string& name) const {
    return contains(flags_, name);
}

}  // namespace hubgate::cli
