#include "fault_schedule.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <random>

namespace hubgate::chaos {

namespace {

using std::chrono::milliseconds;
using namespace std::chrono_literals;

// The generator's draws are spelled out (not std::uniform_*_distribution, whose results differ
// between standard libraries) so a seed means the same schedule everywhere.
class Draw {
  public:
    explicit Draw(uint64_t seed) : engine_(seed) {}
    int64_t between(int64_t low, int64_t high) {  // inclusive
        return low + static_cast<int64_t>(engine_() % static_cast<uint64_t>(high - low + 1));
    }
    milliseconds ms_between(milliseconds low, milliseconds high) {
        return milliseconds(between(low.count(), high.count()));
    }

  private:
    std::mt19937_64 engine_;
};

struct Weighted {
    FaultKind kind;
    int weight;
};

constexpr Weighted kProcessFaults[] = {
    {FaultKind::KillHubgate, 4},    {FaultKind::ReloadHubgate, 3}, {FaultKind::RestartBroker, 2},
    {FaultKind::HubOutage, 1},      {FaultKind::Kick, 3},          {FaultKind::TwinThrottle, 2},
    {FaultKind::RefuseConnects, 2}, {FaultKind::PoisonMessage, 1}, {FaultKind::HangingHook, 1},
    {FaultKind::DiskFull, 2},
};
constexpr Weighted kUplinkFaults[] = {
    {FaultKind::Latency, 3},
    {FaultKind::Loss, 3},
    {FaultKind::Blackhole, 1},
};

template <std::size_t N>
FaultKind pick(Draw& draw, const Weighted (&table)[N]) {
    int total = 0;
    for (const auto& entry : table) {
        total += entry.weight;
    }
    auto roll = draw.between(0, total - 1);
    for (const auto& entry : table) {
        if (roll < entry.weight) {
            return entry.kind;
        }
        roll -= entry.weight;
    }
    return table[0].kind;
}

milliseconds duration_of(FaultKind kind, Draw& draw, milliseconds blackhole) {
    switch (kind) {
        case FaultKind::KillHubgate:
            return draw.ms_between(200ms, 3s);  // down time before the restart
        case FaultKind::RestartBroker:
            return draw.ms_between(200ms, 2s);
        case FaultKind::HubOutage:
            return draw.ms_between(3s, 10s);
        case FaultKind::TwinThrottle:
        case FaultKind::RefuseConnects:
            return draw.ms_between(2s, 8s);
        case FaultKind::DiskFull:
            return draw.ms_between(3s, 15s);
        case FaultKind::Latency:
        case FaultKind::Loss:
            return draw.ms_between(5s, 20s);
        case FaultKind::Blackhole:
            return blackhole;
        case FaultKind::ReloadHubgate:
        case FaultKind::Kick:
        case FaultKind::PoisonMessage:
        case FaultKind::HangingHook:
            return 0ms;
    }
    return 0ms;
}

// One lane: faults separated by quiet gaps, all ending before `length`.
template <std::size_t N>
void fill_lane(Draw& draw, const Weighted (&table)[N], milliseconds length, milliseconds gap_low,
               milliseconds gap_high, milliseconds blackhole, std::vector<Fault>& out) {
    milliseconds at = draw.ms_between(gap_low / 2, gap_high / 2);
    while (true) {
        Fault fault;
        fault.at = at;
        fault.kind = pick(draw, table);
        fault.duration = duration_of(fault.kind, draw, blackhole);
        fault.count = fault.kind == FaultKind::Kick ? static_cast<int>(draw.between(1, 20)) : 0;
        if (fault.at + fault.duration >= length) {
            return;
        }
        out.push_back(fault);
        at = fault.at + fault.duration + draw.ms_between(gap_low, gap_high);
    }
}

// Rare by weight but each worth playing in every run, even a 60-second one: a missing kind
// replaces the lane's last fault of its most frequent kind. Both last no scheduled time, so the
// replacement never makes faults overlap.
constexpr FaultKind kEveryRun[] = {FaultKind::PoisonMessage, FaultKind::HangingHook};

void play_each_at_least_once(std::vector<Fault>& lane) {
    for (const auto kind : kEveryRun) {
        std::map<FaultKind, int> counts;
        for (const auto& fault : lane) {
            ++counts[fault.kind];
        }
        if (counts.contains(kind)) {
            continue;
        }
        for (const auto must : kEveryRun) {
            counts.erase(must);  // never replace one of those
        }
        if (counts.empty()) {
            continue;
        }
        const auto most = std::max_element(counts.begin(), counts.end(), [](auto a, auto b) {
                              return a.second < b.second;
                          })->first;
        for (auto fault = lane.rbegin(); fault != lane.rend(); ++fault) {
            if (fault->kind == most) {
                *fault = {.at = fault->at, .kind = kind};
                break;
            }
        }
    }
}

}  // namespace

const char* to_string(FaultKind kind) {
    switch (kind) {
        case FaultKind::KillHubgate:
            return "kill-9-hubgate";
        case FaultKind::ReloadHubgate:
            return "sighup-hubgate";
        case FaultKind::RestartBroker:
            return "restart-local-broker";
        case FaultKind::HubOutage:
            return "hubsim-outage";
        case FaultKind::Kick:
            return "kick-sessions";
        case FaultKind::TwinThrottle:
            return "twin-429";
        case FaultKind::RefuseConnects:
            return "refuse-connects";
        case FaultKind::PoisonMessage:
            return "poison-message";
        case FaultKind::HangingHook:
            return "hanging-hook";
        case FaultKind::DiskFull:
            return "spool-disk-full";
        case FaultKind::Latency:
            return "uplink-latency-300ms";
        case FaultKind::Loss:
            return "uplink-loss-5pct";
        case FaultKind::Blackhole:
            return "uplink-blackhole";
    }
    return "?";
}

bool is_uplink_fault(FaultKind kind) {
    return kind == FaultKind::Latency || kind == FaultKind::Loss || kind == FaultKind::Blackhole;
}

std::vector<Fault> make_schedule(const ScheduleOptions& options) {
    Draw draw(options.seed);
    const milliseconds length = options.length;
    const milliseconds blackhole =
        std::clamp<milliseconds>(length / 3, 20s, std::max<milliseconds>(options.blackhole, 20s));
    std::vector<Fault> schedule;
    fill_lane(draw, kProcessFaults, length, 3s, 12s, blackhole, schedule);
    play_each_at_least_once(schedule);
    fill_lane(draw, kUplinkFaults, length, 5s, 30s, blackhole, schedule);
    std::stable_sort(schedule.begin(), schedule.end(),
                     [](const Fault& a, const Fault& b) { return a.at < b.at; });
    return schedule;
}

std::string describe(const std::vector<Fault>& schedule) {
    std::string text;
    char line[128];
    for (const auto& fault : schedule) {
        std::snprintf(line, sizeof line, "  %7.1fs %-22s %6.1fs%s\n", fault.at.count() / 1000.0,
                      to_string(fault.kind), fault.duration.count() / 1000.0,
                      fault.count > 0 ? (" x" + std::to_string(fault.count)).c_str() : "");
        text += line;
    }
    return text;
}

}  // namespace hubgate::chaos
