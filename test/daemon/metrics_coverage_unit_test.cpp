// Every counter `hubgate status` lists has a /metrics series with the same value: the test walks
// the status JSON, so a counter added to one view and not the other fails here.
#include <doctest/doctest.h>

#include "../ops/prometheus_text.hpp"
#include "../ops/status_metric_names.hpp"
#include "gateway/control/status_snapshot.hpp"
#include "gateway/daemon/observed_counts.hpp"
#include "gateway/metrics/text_format.hpp"

namespace hubgate::test {

namespace {

// Gives every counter of the three structs a distinct non-zero value (so a series that reads
// the wrong counter shows), and returns how many were set.
std::uint64_t fill(core::BridgeCounters& bridge, spool::SpoolCounters& spool,
                   transport::LinkCounters& local) {
    std::uint64_t next = 100;
    for (auto* counter :
         {&bridge.uplink_received, &bridge.telemetry_spooled, &bridge.telemetry_acked,
          &bridge.reported_sent, &bridge.reported_failed, &bridge.twin_requests,
          &bridge.method_replies, &bridge.ignored, &bridge.downlink_published,
          &bridge.downlink_failed, &bridge.methods_timed_out}) {
        *counter = next++;
    }
    for (auto& counter : bridge.mapping_rejected) {
        counter = next++;
    }
    for (auto& counter : bridge.bridge_rejected) {
        counter = next++;
    }
    for (auto* counter : {&spool.appended, &spool.redeliveries, &spool.acked, &spool.dropped_ttl,
                          &spool.corrupt, &spool.torn_bytes, &spool.full_events, &spool.io_errors,
                          &spool.recovered, &spool.bytes, &spool.messages}) {
        *counter = next++;
    }
    for (auto* counter :
         {&local.connects, &local.reconnects, &local.connect_failures, &local.disconnects,
          &local.subscribed, &local.subscribe_failures, &local.received, &local.refused,
          &local.commit_failures, &local.read_pauses, &local.published, &local.publish_dropped}) {
        *counter = next++;
    }
    local.connected = true;
    return next;
}

}  // namespace

TEST_CASE("every counter of the status JSON has a /metrics series with its value") {
    core::BridgeCounters bridge;
    spool::SpoolCounters spool;
    transport::LinkCounters local;
    fill(bridge, spool, local);
    const std::vector<session::SessionSnapshot> sessions;
    const daemon::BridgeReadings readings{bridge,
                                          spool,
                                          local,
                                          sessions,
                                          daemon::SessionTotals{7, 8, 9},
                                          daemon::C2dJournalReadings{11, 12, 13, 14, 15, 16},
                                          1 << 20,
                                          17};

    control::StatusSnapshot snapshot;
    snapshot.counters = daemon::status_counters(readings);
    const auto status = control::to_json(snapshot);

    metrics::TextExposition out;
    metrics::Histogram roundtrip(metrics::method_roundtrip_buckets());
    metrics::write_gateway_metrics(out, daemon::gateway_counts(readings), roundtrip.snapshot());
    const auto parse = parse_prometheus_text(out.text());
    REQUIRE(parse.error == "");

    REQUIRE(status["counters"].size() > 30);
    for (const auto& [name, value] : status["counters"].items()) {
        CAPTURE(name);
        const auto metric = metric_value_for_status_counter(parse, name);
        REQUIRE_MESSAGE(metric, "no /metrics series for the status counter " << name);
        CHECK(*metric == doctest::Approx(value.get<double>()));
    }
    // The counters the issue found missing are among them.
    for (const char* name :
         {"spool_dropped_ttl", "spool_corrupt", "spool_io_errors", "spool_full_events",
          "local_publish_dropped", "downlink_failed", "c2d_journaled", "c2d_journal_failures",
          "c2d_journal_outstanding", "provisioning_reprovisions"}) {
        CAPTURE(name);
        CHECK(status["counters"].contains(name));
    }
}

}  // namespace hubgate::test
