// Routing speed of the mapping engine for 10, 100 and 1,000 rules on one thread, and how it
// holds up as rules grow (1000-rule rate / 10-rule rate). Prints a table; writes JSON to the
// path given with --json. Never fails on speed: the numbers are for people and CI logs.

#include <time.h>

#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench_output.hpp"
#include "hubgate/mappings/mapping_set.hpp"

namespace {

using hubgate::mappings::LoadResult;
using hubgate::mappings::MappingSet;
using hubgate::mappings::MappingSource;
using hubgate::mappings::UplinkResult;
using hubgate::mappings::UplinkRoute;

// CPU time of this thread: the machine may be shared (CI, parallel builds), and "routes per
// second on one thread" means routes per second of that thread's CPU time.
double thread_cpu_seconds() {
    timespec now{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

constexpr int kRulesPerClass = 10;
constexpr double kGoalRoutesPerSecond = 1'000'000;
constexpr double kGoalRatio = 0.5;

// `rules` telemetry rules in classes of ten: "c{c}/{area}/{device}/m{k}", each with two
// properties, so every route renders an id, properties and a property bag.
std::string make_rules(int rules) {
    std::string text;
    for (int c = 0; c * kRulesPerClass < rules; ++c) {
        text += "[[devices]]\nname = \"class " + std::to_string(c) + "\"\nid = \"c" +
                std::to_string(c) + "-{area}-{device}\"\n[devices.uplink]\n";
        for (int k = 0; k < kRulesPerClass && c * kRulesPerClass + k < rules; ++k) {
            text += "\"c" + std::to_string(c) + "/{area}/{device}/m" + std::to_string(k) +
                    "\" = { send = \"telemetry\", properties = { area = \"{area}\", \"$.ct\" = "
                    "\"application/json\" } }\n";
        }
    }
    return text;
}

// Topics spread evenly over every rule, in random order, so caches see a realistic mix.
std::vector<std::string> make_topics(int rules) {
    std::mt19937 random(42);
    std::vector<std::string> topics;
    for (int i = 0; i < 4096; ++i) {
        const int rule = static_cast<int>(random() % static_cast<unsigned>(rules));
        topics.push_back("c" + std::to_string(rule / kRulesPerClass) + "/area" +
                         std::to_string(random() % 8) + "/dev" + std::to_string(random() % 500) +
                         "/m" + std::to_string(rule % kRulesPerClass));
    }
    return topics;
}

struct Measurement {
    int rules;
    double routes_per_second;
    double nanoseconds_per_route;
};

Measurement measure(int rules) {
    const MappingSource sources[] = {{"bench.toml", make_rules(rules)}};
    LoadResult loaded = MappingSet::load_texts(sources);
    if (!loaded.ok()) {
        std::fprintf(stderr, "bench rules do not load: %s\n",
                     loaded.diagnostics.front().to_string().c_str());
        std::exit(2);
    }
    const MappingSet& set = *loaded.set;
    const std::vector<std::string> topics = make_topics(rules);
    const std::string payload = R"({"temperature":21.5,"humidity":40,"ok":true})";

    std::size_t routed = 0;
    const auto route_all = [&] {
        for (const std::string& topic : topics) {
            const UplinkResult result = set.route_uplink(topic, payload);
            routed += std::get<UplinkRoute>(result).property_bag.size() > 0 ? 1 : 0;
        }
    };
    route_all();  // warm-up, and proof that every topic routes
    if (routed != topics.size()) {
        std::fprintf(stderr, "bench topics did not all route\n");
        std::exit(2);
    }
    // Best of several ~0.2 s rounds: the least disturbed by other work on the machine.
    double best = 0;
    for (int round = 0; round < 5; ++round) {
        routed = 0;
        const double start = thread_cpu_seconds();
        double seconds = 0;
        do {
            route_all();
            seconds = thread_cpu_seconds() - start;
        } while (seconds < 0.2);
        best = std::max(best, static_cast<double>(routed) / seconds);
    }
    return Measurement{rules, best, 1e9 / best};
}

}  // namespace

int main(int argc, char** argv) {
    const std::string json_path = hubgate::bench::json_path_from_args(argc, argv, "bench_mapping");
    std::vector<Measurement> results;
    for (int rules : {10, 100, 1000})
        results.push_back(measure(rules));
    const double ratio = results.back().routes_per_second / results.front().routes_per_second;
    const bool rate_goal = results.back().routes_per_second >= kGoalRoutesPerSecond;
    const bool ratio_goal = ratio >= kGoalRatio;

    std::printf(
        "mapping: route_uplink, one thread, per CPU-second (telemetry: id, 2 properties,"
        " property bag)\n");
    std::printf("  %6s  %14s  %10s\n", "rules", "routes/s", "ns/route");
    for (const Measurement& m : results) {
        std::printf("  %6d  %14.0f  %10.1f\n", m.rules, m.routes_per_second,
                    m.nanoseconds_per_route);
    }
    std::printf("  ratio 1000/10 rules: %.2f (goal >= %.1f: %s)\n", ratio, kGoalRatio,
                ratio_goal ? "met" : "NOT met");
    std::printf("  1000 rules: %.0f routes/s (goal >= %.0f: %s)\n",
                results.back().routes_per_second, kGoalRoutesPerSecond,
                rate_goal ? "met" : "NOT met");

    if (!json_path.empty()) {
        nlohmann::json document = {{"benchmark", "mapping"},
                                   {"ratio_1000_to_10", ratio},
                                   {"goal_routes_per_second", kGoalRoutesPerSecond},
                                   {"goal_ratio", kGoalRatio},
                                   {"goals_met", rate_goal && ratio_goal},
                                   {"results", nlohmann::json::array()}};
        for (const Measurement& m : results) {
            document["results"].push_back({{"rules", m.rules},
                                           {"routes_per_second", m.routes_per_second},
                                           {"ns_per_route", m.nanoseconds_per_route}});
        }
        hubgate::bench::write_json(json_path, document);
    }
    return 0;
}
