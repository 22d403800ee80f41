#pragma once
// Time for device sessions: steady time drives timers, wall time stamps token expiries.
// The manager takes a Clock so unit tests can drive time by hand.

#include <chrono>

namespace hubgate::session {

using SteadyTime = std::chrono::steady_clock::time_point;
using WallTime = std::chrono::system_clock::time_point;
using Millis = std::chrono::milliseconds;

// A source of steady and wall time.
class Clock {
  public:
    virtual ~Clock() = default;
    virtual SteadyTime now() const = 0;
    virtual WallTime wall_now() const = 0;
};

// The real clocks.
class SystemClock final : public Clock {
  public:
    SteadyTime now() const override { return std::chrono::steady_clock::now(); }
    WallTime wall_now() const override { return std::chrono::system_clock::now(); }
};

}  // namespace hubgate::session
