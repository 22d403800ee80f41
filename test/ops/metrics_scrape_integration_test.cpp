// The metrics endpoint scraped over loopback HTTP, as Prometheus would.
#include <doctest/doctest.h>
#include <httplib.h>

#include <atomic>

#include "gateway/metrics/gateway_metrics.hpp"
#include "gateway/metrics/metrics_server.hpp"
#include "gateway/metrics/registry.hpp"
#include "harness/ports.hpp"
#include "prometheus_text.hpp"

using namespace hubgate::metrics;
using hubgate::test::parse_prometheus_text;
using hubgate::test::prom_value;

TEST_CASE("GET /metrics serves the current values in the text format") {
    std::atomic<std::uint64_t> routed{0};
    Histogram roundtrip(method_roundtrip_buckets());
    Registry registry;
    registry.add_collector([&](TextExposition& out) {
        GatewayCounts counts;
        counts.messages_routed = routed.load();
        counts.rejected_by_reason = {{"no_rule", 2}, {"weird \"reason\"", 1}};
        counts.sessions_by_state = {{"connected", 3}};
        write_gateway_metrics(out, counts, roundtrip.snapshot());
    });
    MetricsServer server(registry);
    REQUIRE_FALSE(server.start("127.0.0.1", 0).has_value());
    REQUIRE(server.port() != 0);

    httplib::Client client("127.0.0.1", server.port());
    client.set_connection_timeout(5);
    client.set_read_timeout(5);

    routed = 5;
    roundtrip.observe(0.03);
    roundtrip.observe(4);
    auto response = client.Get("/metrics");
    REQUIRE(response);
    CHECK(response->status == 200);
    CHECK(response->get_header_value("Content-Type").starts_with("text/plain; version=0.0.4"));
    auto parse = parse_prometheus_text(response->body);
    REQUIRE(parse.error == "");
    CHECK(prom_value(parse, "hubgate_messages_routed_total", "hubgate_messages_routed_total") == 5);
    CHECK(prom_value(parse, "hubgate_messages_rejected_total", "hubgate_messages_rejected_total",
                     {{"reason", "weird \"reason\""}}) == 1);
    CHECK(prom_value(parse, "hubgate_method_roundtrip_seconds",
                     "hubgate_method_roundtrip_seconds_count") == 2);

    // Buckets of the served histogram are cumulative, ending in +Inf = count.
    const auto& samples = parse.families["hubgate_method_roundtrip_seconds"].samples;
    double previous = 0;
    int buckets = 0;
    for (const auto& s : samples) {
        if (s.name != "hubgate_method_roundtrip_seconds_bucket")
            continue;
        CHECK(s.value >= previous);
        previous = s.value;
        ++buckets;
    }
    CHECK(buckets == static_cast<int>(method_roundtrip_buckets().size()) + 1);
    CHECK(previous == 2);

    // Scrape time reads the daemon's counter anew.
    routed = 6;
    auto again = client.Get("/metrics");
    REQUIRE(again);
    CHECK(prom_value(parse_prometheus_text(again->body), "hubgate_messages_routed_total",
                     "hubgate_messages_routed_total") == 6);
}

TEST_CASE("other paths and methods are refused") {
    Registry registry;
    MetricsServer server(registry);
    REQUIRE_FALSE(server.start("127.0.0.1", 0).has_value());
    httplib::Client client("127.0.0.1", server.port());
    client.set_connection_timeout(5);
    auto other = client.Get("/");
    REQUIRE(other);
    CHECK(other->status == 404);
    auto post = client.Post("/metrics", "x", "text/plain");
    REQUIRE(post);
    CHECK(post->status != 200);
}

TEST_CASE("a port already in use is a clear error, not a crash") {
    Registry registry;
    MetricsServer first(registry);
    REQUIRE_FALSE(first.start("127.0.0.1", 0).has_value());
    MetricsServer second(registry);
    auto error = second.start("127.0.0.1", first.port());
    REQUIRE(error.has_value());
    CHECK(error->find("cannot listen on 127.0.0.1:") != std::string::npos);
}

TEST_CASE("stop right after start returns") {
    Registry registry;
    MetricsServer server(registry);
    REQUIRE_FALSE(server.start("127.0.0.1", 0).has_value());
    server.stop();
    CHECK_FALSE(hubgate::test::wait_for_port(server.port(), std::chrono::milliseconds(200)));
}
