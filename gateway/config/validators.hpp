#pragma once
// The extension point of `hubgate check`: modules that own files the config points at (mapping
// files, plugins) register a validator, and `hubgate check` runs every registered validator once
// the config itself is valid, printing their diagnostics with the config's own.
//
// Register at namespace scope in a source file of your module that the hubgate executable links
// for another reason too (static libraries drop unreferenced object files, and their registrars
// with them):
//   static hubgate::config::ValidatorRegistrar reg{"mappings", &check_mapping_files};

#include <functional>
#include <string>
#include <vector>

#include "gateway/config/config.hpp"

namespace hubgate::config {

// Returns every problem found (empty: all good). Must not throw; must not log secrets.
using ConfigValidator = std::function<std::vector<Diagnostic>(const Config& config)>;

struct NamedValidator {
    std::string name;
    ConfigValidator run;
};

void register_validator(std::string name, ConfigValidator validator);
const std::vector<NamedValidator>& registered_validators();

// Runs every registered validator in registration order and concatenates their diagnostics. A
// validator that throws is reported as a diagnostic naming it, and the others still run.
std::vector<Diagnostic> run_validators(const Config& config);

struct ValidatorRegistrar {
    ValidatorRegistrar(std::string name, ConfigValidator validator) {
        register_validator(std::move(name), std::move(validator));
    }
};

}  // namespace hubgate::config
