#include "gateway/core/bridge_counters.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace hubgate::core {

namespace {

constexpr std::uint64_t kLoggedInFull = 20;
constexpr std::uint64_t kLogEvery = 1000;

bool worth_logging(std::uint64_t count) {
    return count <= kLoggedInFull || count % kLogEvery == 0;
}

// Topics come from devices: keep a hostile one from flooding a log line.
std::string_view clip(std::string_view text) {
    return text.substr(0, 200);
}

}  // namespace

std::string_view to_string(BridgeReject reason) {
    switch (reason) {
        case BridgeReject::no_rule:
            return "no_rule";
        case BridgeReject::payload_too_large:
            return "payload_too_large";
        case BridgeReject::spool_error:
            return "spool_error";
        case BridgeReject::unmatched_reply:
            return "unmatched_reply";
    }
    return "unknown";
}

std::uint64_t BridgeCounters::rejected_total() const {
    std::uint64_t total = 0;
    for (const auto& count : mapping_rejected) {
        total += count.load();
    }
    for (const auto& count : bridge_rejected) {
        total += count.load();
    }
    return total;
}

std::string BridgeCounters::summary() const {
    std::string text = fmt::format(
        "uplink={} spooled={} acked={} reported={} reported_failed={} twin_requests={} "
        "method_replies={} ignored={} downlink={} downlink_failed={} methods_timed_out={} "
        "rejected={}",
        uplink_received.load(), telemetry_spooled.load(), telemetry_acked.load(),
        reported_sent.load(), reported_failed.load(), twin_requests.load(), method_replies.load(),
        ignored.load(), downlink_published.load(), downlink_failed.load(), methods_timed_out.load(),
        rejected_total());
    for (std::size_t i = 0; i < mapping_rejected.size(); ++i) {
        if (const auto n = mapping_rejected[i].load(); n > 0) {
            text += fmt::format(" {}={}", to_string(static_cast<mappings::RejectReason>(i)), n);
        }
    }
    for (std::size_t i = 0; i < bridge_rejected.size(); ++i) {
        if (const auto n = bridge_rejected[i].load(); n > 0) {
            text += fmt::format(" {}={}", to_string(static_cast<BridgeReject>(i)), n);
        }
    }
    return text;
}

void count_rejection(BridgeCounters& counters, const mappings::Rejection& rejection,
                     std::string_view topic) {
    const auto index = static_cast<std::size_t>(rejection.reason);
    const std::uint64_t count =
        index < counters.mapping_rejected.size() ? ++counters.mapping_rejected[index] : 1;
    if (worth_logging(count)) {
        spdlog::warn("rejected message on '{}': {}: {} (rule {}:{}; {} so far)", clip(topic),
                     to_string(rejection.reason), rejection.text, rejection.rule.file,
                     rejection.rule.line, count);
    }
}

void count_rejection(BridgeCounters& counters, BridgeReject reason, std::string_view topic,
                     std::string_view detail) {
    const std::uint64_t count = ++counters.bridge_rejected[static_cast<std::size_t>(reason)];
    if (worth_logging(count)) {
        spdlog::warn("rejected message on '{}': {}: {} ({} so far)", clip(topic), to_string(reason),
                     detail, count);
    }
}

void count_downlink_rejection(BridgeCounters& counters, const mappings::Rejection& rejection,
                              std::string_view device_id, mappings::DownlinkKind kind) {
    ++counters.downlink_failed;
    const auto index = static_cast<std::size_t>(rejection.reason);
    const std::uint64_t count =
        index < counters.mapping_rejected.size() ? ++counters.mapping_rejected[index] : 1;
    if (worth_logging(count)) {
        spdlog::warn("{} for {} not delivered: {}: {} ({} so far)", mappings::to_string(kind),
                     clip(device_id), to_string(rejection.reason), rejection.text, count);
    }
}

}  // namespace hubgate::core
