// The metrics registry, histogram and text format, read back with an independent strict parser.
#include <doctest/doctest.h>

#include <cmath>
#include <stdexcept>

#include "gateway/metrics/gateway_metrics.hpp"
#include "gateway/metrics/histogram.hpp"
#include "gateway/metrics/registry.hpp"
#include "gateway/metrics/text_format.hpp"
#include "prometheus_text.hpp"

using namespace hubgate::metrics;
using hubgate::test::parse_prometheus_text;
using hubgate::test::prom_value;

namespace {

GatewayCounts sample_counts() {
    GatewayCounts counts;
    counts.messages_routed = 41;
    counts.rejected_by_reason = {{"no_rule", 3}, {"payload_too_large", 1}};
    counts.messages_spooled = 44;
    counts.spool_bytes = 123456;
    counts.sessions_by_state = {{"connected", 7}, {"backing_off", 2}};
    counts.reconnects = 5;
    counts.throttle_hits = 2;
    counts.token_renewals = 9;
    counts.plugin_crashes = 1;
    counts.dead_lettered = 4;
    return counts;
}

}  // namespace

TEST_CASE("label values are escaped and read back unchanged") {
    CHECK(escape_label_value(R"(a\b"c)"
                             "\n") == R"(a\\b\"c\n)");
    TextExposition out;
    out.family("t_total", "help with \\ and\nnewline", MetricType::Counter);
    const std::string nasty = "quote\" back\\slash\nline {brace}, comma=";
    out.sample("t_total", {{"reason", nasty}}, 2);
    auto parse = parse_prometheus_text(out.text());
    REQUIRE(parse.error == "");
    CHECK(parse.families["t_total"].help == R"(help with \\ and\nnewline)");
    CHECK(prom_value(parse, "t_total", "t_total", {{"reason", nasty}}) == 2);
}

TEST_CASE("values print as integers, +Inf and NaN") {
    CHECK(format_value(0) == "0");
    CHECK(format_value(18446744073709.0) == "18446744073709");
    CHECK(format_value(0.25) == "0.25");
    CHECK(format_value(INFINITY) == "+Inf");
    CHECK(format_value(-INFINITY) == "-Inf");
    CHECK(format_value(NAN) == "NaN");
}

TEST_CASE("histogram buckets are cumulative and end with +Inf equal to the count") {
    Histogram histogram({0.1, 1, 10});
    for (double v : {0.05, 0.1, 0.5, 0.7, 5.0, 50.0})
        histogram.observe(v);
    histogram.observe(NAN);  // ignored
    auto snap = histogram.snapshot();
    CHECK(snap.cumulative_counts == std::vector<std::uint64_t>{2, 4, 5});
    CHECK(snap.count == 6);
    CHECK(snap.sum == doctest::Approx(56.35));

    TextExposition out;
    out.family("rt_seconds", "round trips", MetricType::Histogram);
    out.histogram("rt_seconds", {}, snap);
    auto parse = parse_prometheus_text(out.text());
    REQUIRE(parse.error == "");
    CHECK(prom_value(parse, "rt_seconds", "rt_seconds_bucket", {{"le", "0.1"}}) == 2);
    CHECK(prom_value(parse, "rt_seconds", "rt_seconds_bucket", {{"le", "1"}}) == 4);
    CHECK(prom_value(parse, "rt_seconds", "rt_seconds_bucket", {{"le", "10"}}) == 5);
    CHECK(prom_value(parse, "rt_seconds", "rt_seconds_bucket", {{"le", "+Inf"}}) == 6);
    CHECK(prom_value(parse, "rt_seconds", "rt_seconds_count") == 6);
    CHECK(prom_value(parse, "rt_seconds", "rt_seconds_sum") == doctest::Approx(56.35));
}

TEST_CASE("every hubgate metric is written with HELP and TYPE") {
    Histogram roundtrip(method_roundtrip_buckets());
    roundtrip.observe(0.2);
    TextExposition out;
    write_gateway_metrics(out, sample_counts(), roundtrip.snapshot());
    auto parse = parse_prometheus_text(out.text());
    REQUIRE(parse.error == "");
    const std::map<std::string, std::string> expected_types = {
        {"hubgate_messages_routed_total", "counter"},
        {"hubgate_messages_rejected_total", "counter"},
        {"hubgate_messages_spooled_total", "counter"},
        {"hubgate_spool_bytes", "gauge"},
        {"hubgate_sessions", "gauge"},
        {"hubgate_reconnects_total", "counter"},
        {"hubgate_throttle_hits_total", "counter"},
        {"hubgate_method_roundtrip_seconds", "histogram"},
        {"hubgate_token_renewals_total", "counter"},
        {"hubgate_plugin_crashes_total", "counter"},
        {"hubgate_messages_dead_lettered_total", "counter"},
        {"hubgate_reported_patches_merged_total", "counter"},
        {"hubgate_desired_patches_stale_total", "counter"},
    };
    CHECK(parse.families.size() == expected_types.size());
    for (const auto& [name, type] : expected_types) {
        CAPTURE(name);
        REQUIRE(parse.families.count(name) == 1);
        CHECK(parse.families[name].type == type);
        CHECK_FALSE(parse.families[name].help.empty());
    }
    CHECK(prom_value(parse, "hubgate_messages_routed_total", "hubgate_messages_routed_total") ==
          41);
    CHECK(prom_value(parse, "hubgate_messages_rejected_total", "hubgate_messages_rejected_total",
                     {{"reason", "no_rule"}}) == 3);
    CHECK(prom_value(parse, "hubgate_sessions", "hubgate_sessions", {{"state", "backing_off"}}) ==
          2);
    CHECK(prom_value(parse, "hubgate_spool_bytes", "hubgate_spool_bytes") == 123456);
    CHECK(prom_value(parse, "hubgate_token_renewals_total", "hubgate_token_renewals_total") == 9);
    CHECK(prom_value(parse, "hubgate_plugin_crashes_total", "hubgate_plugin_crashes_total") == 1);
    CHECK(prom_value(parse, "hubgate_messages_dead_lettered_total",
                     "hubgate_messages_dead_lettered_total") == 4);
    CHECK(prom_value(parse, "hubgate_method_roundtrip_seconds",
                     "hubgate_method_roundtrip_seconds_bucket", {{"le", "0.25"}}) == 1);
}

TEST_CASE("collectors run at every render and read the current values") {
    Registry registry;
    std::uint64_t routed = 1;
    registry.add_collector([&](TextExposition& out) {
        out.family("x_total", "x", MetricType::Counter);
        out.sample("x_total", {}, static_cast<double>(routed));
    });
    auto first = parse_prometheus_text(registry.render());
    routed = 17;
    auto second = parse_prometheus_text(registry.render());
    REQUIRE(first.error == "");
    REQUIRE(second.error == "");
    CHECK(prom_value(first, "x_total", "x_total") == 1);
    CHECK(prom_value(second, "x_total", "x_total") == 17);
}

TEST_CASE("a throwing collector loses only its own part and is counted") {
    Registry registry;
    registry.add_collector([](TextExposition& out) {
        out.family("half_total", "written before the throw", MetricType::Counter);
        throw std::runtime_error("counter source gone");
    });
    registry.add_collector([](TextExposition& out) {
        out.family("ok_total", "ok", MetricType::Counter);
        out.sample("ok_total", {}, 1);
    });
    auto parse = parse_prometheus_text(registry.render());
    REQUIRE(parse.error == "");
    CHECK(parse.families.count("half_total") == 0);
    CHECK(prom_value(parse, "ok_total", "ok_total") == 1);
    CHECK(prom_value(parse, "hubgate_metrics_collector_errors_total",
                     "hubgate_metrics_collector_errors_total") == 1);
}

TEST_CASE("the test parser refuses malformed text") {
    // Guards the checks above: a parser that accepted anything would make them vacuous.
    CHECK(parse_prometheus_text("x 1\n").error != "");  // no family
    CHECK(parse_prometheus_text("# TYPE x counter\nx{a=\"b} 1\n").error != "");
    CHECK(parse_prometheus_text("# TYPE x counter\nx{a=\"\\q\"} 1\n").error != "");
    CHECK(parse_prometheus_text("# TYPE x counter\nx one\n").error != "");
    CHECK(parse_prometheus_text("# TYPE x counter\nx 1").error != "");
}
