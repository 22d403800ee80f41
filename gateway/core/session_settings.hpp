#pragma once
// The session module's options, filled from hubgate.toml: the hub, the credentials of the
// configured auth mode (keys are read here, once, and never logged), pacing and back-off.

#include <string>

#include "gateway/config/config.hpp"
#include "gateway/session/session_options.hpp"

namespace hubgate::core {

struct SessionSettings {
    session::SessionOptions session;
    session::ManagerOptions manager;
};

// False with `error` when a configured secret cannot be read (the message names the file,
// never its content).
bool session_settings_from(const config::Config& config, SessionSettings& settings,
                           std::string& error);

}  // namespace hubgate::core
