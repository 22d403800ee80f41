#pragma once
// A config error at a position of the TOML source: "file:line:col: message" (ConfigError). One
// copy for hubsim's two config readers (hub_config.cpp, dps_config_reader.cpp).
#include <sstream>
#include <string>

#include <toml++/toml.h>

#include "hubsim/common/hub_config.hpp"

namespace hubsim {

[[noreturn]] inline void fail_at(const std::string& source, const toml::source_region& where,
                                 const std::string& message) {
    std::ostringstream out;
    out << source << ":" << where.begin.line << ":" << where.begin.column << ": " << message;
    throw ConfigError(out.str());
}

}  // namespace hubsim
