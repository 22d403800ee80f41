#pragma once
// What a chaos run did and saw, in plain data: the devices' side (what the local broker
// acknowledged, what reached each device), the cloud's side (what the hub accepted and answered)
// and what the hub recorded. Filled by the harness, judged by check_invariants() (pure logic).
//
// "Epoch": hubsim keeps everything in memory, so each hubsim restart starts a new epoch with an
// empty hub. The checker excuses what only the emulator's restart lost (a real IoT Hub keeps its
// twins and C2D queues) and counts it apart, so it never hides a loss of the gateway's.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hubgate::chaos {

using nlohmann::json;

// One uplink telemetry message as the hub recorded it.
struct HubTelemetry {
    std::string device{};
    int64_t seq = 0;
    std::string message_id{};  // $.mid as the hub saw it
};

// A reported-properties patch the local broker acknowledged to the device.
struct ReportedPatch {
    json patch{};   // a JSON object
    int epoch = 0;  // hub epoch when it was published
};

// A desired patch the hub accepted (PATCH 200), carrying "dseq".
struct DesiredSent {
    int64_t dseq = 0;
    int epoch = 0;
};

// A C2D message the hub accepted.
struct C2dSent {
    std::string id{};  // also its payload
    int epoch = 0;
};

// One direct-method call as the caller saw it.
struct MethodCall {
    int http_status = 0;          // 0: no answer at all (connection failed)
    int device_status = 0;        // a 200's "status": the device's, or hubgate's on its behalf
    bool payload_echoed = false;  // 200 and the device's answer came back intact
    int64_t elapsed_ms = 0;
    int64_t timeout_ms = 0;
    std::string answer{};  // a 200's body when it was not the device's answer (for diagnosis)
};

struct DeviceLedger {
    // Telemetry seqs the local broker acknowledged (PUBACK) to the device.
    std::vector<int64_t> telemetry_acked{};
    std::vector<ReportedPatch> reported{};    // in publish order
    std::vector<DesiredSent> desired_sent{};  // in send order
    // "dseq" of every desired message the device received on its desired topic, in order
    // (messages without a dseq, e.g. an empty document after a hub restart, are left out).
    std::vector<int64_t> desired_seen{};
    // The retained desired message a fresh subscriber got at the end (nullopt: none).
    std::optional<json> desired_retained{};
    std::vector<C2dSent> c2d_sent;
    std::vector<std::string> c2d_seen;  // ids, in arrival order, duplicates kept
    std::vector<MethodCall> methods{};
    // The twin as the hub holds it at the end (nullopt: could not be read).
    std::optional<json> final_twin{};
};

// A message a device published for a plugin to crash or hang on (a poison-message or
// hanging-hook fault): hubgate must dead-letter it after at most two deaths, never forward it.
struct PoisonMessage {
    std::string device{};
    std::string topic{};
    std::string payload{};  // {"seq":-n,"note":"crash-me"|"hang-me"}: negative, so not telemetry
    int64_t seq = 0;
    bool acked = false;  // the local broker acknowledged it to the device
    int deaths = 0;      // hubgate exits (crashes, or the harness's kills of a hung hook) it caused
};

// A file of hubgate's dead-letter folder, read at the end.
struct DeadLetter {
    std::string topic{};
    std::string payload{};
};

struct Ledger {
    std::map<std::string, DeviceLedger> devices{};
    std::vector<HubTelemetry> hub_telemetry{};  // every copy the hub recorded, in order
    std::vector<PoisonMessage> poison{};        // in the order the faults played
    std::vector<DeadLetter> dead_letters{};
    int final_epoch = 0;
};

}  // namespace hubgate::chaos
