#pragma once
// A small command-line option parser shared by the subcommands: `--name value`, `--name=value`,
// `-c value`, boolean `--flag`, and positional arguments. Unknown options are errors.

#include <map>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace hubgate::cli {

struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class Args {
  public:
    // `with_value`: option names (without dashes) that take a value; `flags`: those that do not.
    // `aliases` maps a short name ("c") to a long one ("config").
    Args(std::span<const std::string> argv, const std::vector<std::string>& with_value,
         const std::vector<std::string>& flags,
         const std::map<std::string, std::string>& aliases = {});

    std::optional<std::string> get(const std::string& name) const;
    std::string require(const std::string& name) const;  // throws UsageError when missing
    std::vector<std::string> get_all(const std::string& name) const;  // repeated options
    bool flag(const std::string& name) const;
    const std::vector<std::string>& positional() const { return positional_; }

  private:
    std::multimap<std::string, std::string> values_;
    std::vector<std::string> flags_;
    std::vector<std::string> positional_;
};

}  // namespace hubgate::cli
