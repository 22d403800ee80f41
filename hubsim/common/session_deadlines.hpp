#pragma once
// When each connected device's SAS token expires, soonest first, so that the broker tick finds
// the sessions to close without walking every device.

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace hubsim {

// One deadline (epoch seconds) per device id; not thread-safe (the hub's lock guards it).
class SessionDeadlines {
  public:
    // Sets or replaces the device's deadline; 0 means the session has none.
    void set(const std::string& id, int64_t deadline);
    void clear(const std::string& id);
    // Removes the devices whose deadline is at or before `now` and returns them, soonest first.
    std::vector<std::string> take_due(int64_t now);
    size_t size() const { return by_device_.size(); }

  private:
    std::map<std::string, int64_t> by_device_;
    std::set<std::pair<int64_t, std::string>> by_time_;
};

}  // namespace hubsim
