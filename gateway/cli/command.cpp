#include "gateway/cli/command.hpp"

#include <algorithm>

namespace hubgate::cli {

namespace {
// A function-local static: registrars run during static initialisation, in any order.
std::vector<Command>& registry() {
    static std::vector<Command> all;
    return all;
}
}  // namespace

void register_command(const Command& command) {
    auto& all = registry();
    all.push_back(command);
    std::sort(all.begin(), all.end(),
              [](const Command& a, const Command& b) { return a.name < b.name; });
}

const std::vector<Command>& commands() {
    return registry();
}

const Command* find_command(std::string_view name) {
    for (const auto& c : registry()) {
        if (c.name == name)
            return &c;
    }
    return nullptr;
}

}  // namespace hubgate::cli
