// What the C2D journal costs per cloud-to-device message: keep() (append + fdatasync, which the
// hub's PUBACK waits for, on the upstream I/O thread) and published() (a "done" record without
// a sync, on the local link's thread). Runs in a folder next to the results
// file (or the current folder), so the number is the disk the state directory would be on, not a
// tmpfs. Prints a table; writes JSON with --json. Never fails on speed: the numbers are for people.

#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench_output.hpp"
#include "gateway/core/downlink_journal.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using hubgate::core::DownlinkJournal;

constexpr int kMessages = 300;
// IoT Hub sends at most 100 C2D messages a minute per S1 unit.
constexpr double kHubRatePerSecond = 100.0 / 60.0;

double percentile(std::vector<double> values, double fraction) {
    std::sort(values.begin(), values.end());
    const auto at = static_cast<std::size_t>(fraction * static_cast<double>(values.size() - 1));
    return values[at];
}

}  // namespace

int main(int argc, char** argv) {
    const std::string json_path =
        hubgate::bench::json_path_from_args(argc, argv, "bench_c2d_journal");
    const std::filesystem::path base = json_path.empty()
                                           ? std::filesystem::current_path()
                                           : std::filesystem::absolute(json_path).parent_path();
    std::filesystem::create_directories(base);
    std::string pattern = (base / "c2d-journal-bench-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
        std::perror("mkdtemp");
        return 2;
    }
    const std::filesystem::path dir = pattern;

    DownlinkJournal::Recovered recovered;
    std::string error;
    auto journal = DownlinkJournal::open(dir / "c2d.journal", recovered, error);
    if (!journal) {
        std::fprintf(stderr, "cannot open the journal: %s\n", error.c_str());
        return 2;
    }
    // A typical C2D message: a small JSON command and a topic with a few properties.
    const std::string topic =
        "devices/north-1-t7/messages/devicebound/%24.mid=6c0ab2f6-0a4e-4bd5-9fa5-53f1c5a6f3e1&"
        "%24.to=%2Fdevices%2Fnorth-1-t7%2Fmessages%2Fdevicebound&mode=eco";
    const std::string payload = R"({"command":"set","rate_s":7,"mode":"eco"})";

    std::vector<double> keep_us;
    std::vector<double> done_us;
    for (int i = 0; i < kMessages; ++i) {
        const auto start = Clock::now();
        const auto ticket = journal->keep("north-1-t7", topic, payload);
        const auto kept = Clock::now();
        if (!ticket) {
            std::fprintf(stderr, "keep failed\n");
            return 2;
        }
        journal->published(*ticket);
        const auto done = Clock::now();
        keep_us.push_back(std::chrono::duration<double, std::micro>(kept - start).count());
        done_us.push_back(std::chrono::duration<double, std::micro>(done - kept).count());
    }
    journal.reset();
    std::filesystem::remove_all(dir);

    const double keep_p50 = percentile(keep_us, 0.5);
    const double keep_p99 = percentile(keep_us, 0.99);
    const double done_p50 = percentile(done_us, 0.5);
    const double max_rate = 1e6 / (keep_p50 + done_p50);
    std::printf("c2d journal: %d messages, one at a time, in %s\n", kMessages, base.c_str());
    std::printf("  keep (append + fdatasync):  p50 %8.1f us   p99 %8.1f us\n", keep_p50, keep_p99);
    std::printf("  published (done record):    p50 %8.1f us\n", done_p50);
    std::printf(
        "  one I/O thread could keep %.0f C2D messages/s; the hub sends at most %.2f/s "
        "per S1 unit\n",
        max_rate, kHubRatePerSecond);

    if (!json_path.empty()) {
        hubgate::bench::write_json(json_path, {{"benchmark", "c2d_journal"},
                                               {"messages", kMessages},
                                               {"keep_p50_us", keep_p50},
                                               {"keep_p99_us", keep_p99},
                                               {"published_p50_us", done_p50},
                                               {"max_messages_per_second", max_rate}});
    }
    return 0;
}
