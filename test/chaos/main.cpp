// hubgate-chaos: the seeded chaos soak (issue 15 §7). Real mosquitto, hubsim and hubgate
// processes, a fleet of legacy devices and the cloud's traffic, faults on a seeded schedule,
// then the invariant table (printed and written to the results file).
//
//   hubgate-chaos [--seed N] [--seconds S] [--devices D] [--rate R] [--settle S]
//                 [--results FILE] [--require KIND,...] [--print-schedule]
// Environment CHAOS_SEED, CHAOS_SECONDS, CHAOS_DEVICES, CHAOS_RATE, CHAOS_RESULTS stand in for
// the flags (flags win). No seed: a random one, printed, so the run can be replayed.
// Exit 0: the required invariants hold; 1: one does not; 2: bad arguments; 3: the run could not
// be carried out (a process did not start).
// --require lists the invariant rows whose violations fail the run (exit 1): "all", or row
// names such as "uplink lost"; default "uplink lost". --print-schedule prints the schedule of
// the seed and length and exits (nothing is started).

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <random>
#include <string>
#include <vector>

#include "chaos_run.hpp"
#include "fault_schedule.hpp"
#include "spool_disk.hpp"

namespace {

using hubgate::chaos::RunOptions;

const char* const kUsage =
    "usage: hubgate-chaos [--seed N] [--seconds S] [--devices D] [--rate R] [--settle S]\n"
    "                     [--results FILE] [--require all|KIND[,KIND...]] [--print-schedule]\n";

std::string setting(int argc, char** argv, const std::string& flag, const char* env,
                    const std::string& fallback) {
    for (int i = 1; i + 1 < argc; ++i) {
        if (argv[i] == flag) {
            return argv[i + 1];
        }
    }
    const char* value = env != nullptr ? std::getenv(env) : nullptr;
    return value != nullptr && *value != '\0' ? value : fallback;
}

bool to_number(const std::string& text, uint64_t& out) {
    if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos) {
        return false;
    }
    out = std::stoull(text);
    return true;
}

std::vector<std::string> split_commas(const std::string& text) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (start <= text.size()) {
        const auto comma = text.find(',', start);
        parts.push_back(text.substr(start, comma - start));
        if (comma == std::string::npos) {
            break;
        }
        start = comma + 1;
    }
    return parts;
}

}  // namespace

int main(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "-h" || arg == "--help") {
            std::printf("%s", kUsage);
            return 0;
        }
        if (arg.rfind("--", 0) == 0 && arg != "--print-schedule" && i + 1 >= argc) {
            std::fprintf(stderr, "hubgate-chaos: %s needs a value\n%s", arg.c_str(), kUsage);
            return 2;
        }
    }
    uint64_t seed = 0;
    uint64_t seconds = 0;
    uint64_t devices = 0;
    uint64_t rate = 0;
    uint64_t settle = 0;
    const auto random_seed = std::to_string(std::random_device{}() % 1000000);
    if (!to_number(setting(argc, argv, "--seed", "CHAOS_SEED", random_seed), seed) ||
        !to_number(setting(argc, argv, "--seconds", "CHAOS_SECONDS", "60"), seconds) ||
        !to_number(setting(argc, argv, "--devices", "CHAOS_DEVICES", "1000"), devices) ||
        !to_number(setting(argc, argv, "--rate", "CHAOS_RATE", "200"), rate) ||
        !to_number(setting(argc, argv, "--settle", "CHAOS_SETTLE", "120"), settle) ||
        seconds < 10 || devices < 1 || devices > 100000 || rate < 1) {
        std::fprintf(stderr,
                     "hubgate-chaos: seed, seconds (>= 10), devices (1..100000), rate and settle "
                     "must be whole numbers\n%s",
                     kUsage);
        return 2;
    }
    RunOptions options;
    options.seed = seed;
    options.length = std::chrono::seconds(seconds);
    options.devices = static_cast<int>(devices);
    options.messages_per_second = static_cast<int>(rate);
    options.settle = std::chrono::seconds(settle);
    options.results = setting(argc, argv, "--results", "CHAOS_RESULTS", "chaos-results.txt");
    for (int i = 1; i < argc; ++i) {
        if (std::string(argv[i]) == "--print-schedule") {
            std::printf(
                "%s",
                hubgate::chaos::describe(
                    hubgate::chaos::make_schedule({.seed = options.seed, .length = options.length}))
                    .c_str());
            return 0;
        }
    }
    const auto required = split_commas(setting(argc, argv, "--require", nullptr, "uplink lost"));

    // Before any thread starts: the spool's own filesystem (disk-full windows) is mounted in a
    // private namespace, so it vanishes with the run however it ends.
    options.private_mounts =
        hubgate::chaos::enter_private_mount_namespace(options.private_mounts_refused);

    hubgate::chaos::RunOutcome outcome;
    try {
        outcome = hubgate::chaos::run_chaos(options);
    } catch (const std::exception& error) {
        std::printf("chaos: %s (seed %llu)\n", error.what(), static_cast<unsigned long long>(seed));
        return 3;
    }
    int failed = 0;
    for (const auto& row : outcome.rows) {
        bool is_required = false;
        for (const auto& kind : required) {
            is_required = is_required || kind == "all" || kind == row.kind;
        }
        if (is_required && row.violations > 0) {
            std::printf("FAILED: %s: %lld violations\n", row.kind.c_str(),
                        static_cast<long long>(row.violations));
            ++failed;
        }
    }
    std::printf("%s (seed %llu)\n",
                failed == 0 ? "chaos: required invariants hold" : "chaos: FAILED",
                static_cast<unsigned long long>(seed));
    return failed == 0 ? 0 : 1;
}
