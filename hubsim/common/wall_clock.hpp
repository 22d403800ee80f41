#pragma once
// The wall clock as hubsim's tokens, logs and documents count it.

#include <chrono>
#include <cstdint>

namespace hubsim {

// Milliseconds since the Unix epoch.
inline int64_t epoch_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// Seconds since the Unix epoch (SAS token expiry is checked against it).
inline int64_t epoch_seconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace hubsim
