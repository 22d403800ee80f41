#include "gateway/config/validators.hpp"

#include <exception>

namespace hubgate::config {

namespace {
// A function-local static: registrars run during static initialisation, in any order.
std::vector<NamedValidator>& registry() {
    static std::vector<NamedValidator> all;
    return all;
}
}  // namespace

void register_validator(std::string name, ConfigValidator validator) {
    registry().push_back({std::move(name), std::move(validator)});
}

const std::vector<NamedValidator>& registered_validators() {
    return registry();
}

std::vector<Diagnostic> run_validators(const Config& config) {
    std::vector<Diagnostic> out;
    for (const auto& validator : registry()) {
        try {
            auto found = validator.run(config);
            out.insert(out.end(), std::make_move_iterator(found.begin()),
                       std::make_move_iterator(found.end()));
        } catch (const std::exception& e) {
            out.push_back({config.source_file,
                           0,
                           0,
                           {},
                           "internal error in the " + validator.name + " check: " + e.what()});
        }
    }
    return out;
}

}  // namespace hubgate::config
