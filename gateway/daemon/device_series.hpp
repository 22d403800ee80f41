#pragma once
// Which devices get per-device series (metrics.per_device), and their numbers at a scrape. The
// cap keeps cardinality bounded: the first `limit` devices seen keep their series for the
// life of the process (series do not come and go as sessions close and open); devices seen
// after the cap was reached get none and are counted. Pure; not thread-safe.

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "gateway/metrics/device_metrics.hpp"
#include "gateway/session/session_state.hpp"
#include "gateway/spool/spool.hpp"

namespace hubgate::daemon {

class DeviceSeries {
  public:
    explicit DeviceSeries(std::size_t limit) : limit_(limit) {}

    // The samples of the devices that have series, by device id, from the sessions and the
    // spool now. A device keeps its last uplink and downlink times and its counters after its
    // session closed, and its counters do not go down when a new session starts from zero.
    std::vector<metrics::DeviceSample> update(const std::vector<session::SessionSnapshot>& sessions,
                                              const std::vector<spool::DeviceBacklog>& backlogs);

    // Devices seen that have no series because the cap was reached.
    std::uint64_t over_limit() const { return over_limit_.size(); }

  private:
    static constexpr std::size_t kCounters = 5;  // the counters of DeviceSample, in its order
    using Counts = std::array<std::uint64_t, kCounters>;
    struct Device {
        Counts banked{};  // from the device's earlier sessions
        Counts last{};    // its current (or last seen) session
        bool connected = false;
        std::optional<session::WallTime> last_uplink;
        std::optional<session::WallTime> last_downlink;
    };
    // The device's entry, made if the cap allows; nullptr if it has no series.
    Device* admit(const std::string& device_id);

    std::size_t limit_;
    std::map<std::string, Device, std::less<>> devices_;
    std::set<std::string, std::less<>> over_limit_;
};

}  // namespace hubgate::daemon
