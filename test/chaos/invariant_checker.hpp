#pragma once
// The invariants a chaos run must keep, judged from its Ledger: pure logic, unit-tested.
// One row per kind: how many cases were checked, how many broke the invariant, how many were
// excused because only the emulator's restart lost them (see ledger.hpp), and a short detail.

#include <cstdint>
#include <string>
#include <vector>

#include "ledger.hpp"

namespace hubgate::chaos {

struct InvariantRow {
    std::string kind{};
    int64_t checked = 0;
    int64_t violations = 0;
    int64_t excused = 0;
    std::string detail{};
};

// Row kinds, in table order.
inline constexpr const char* kUplinkLost = "uplink lost";
inline constexpr const char* kUplinkDuplicateNewMid = "uplink duplicate with new $.mid";
inline constexpr const char* kReportedState = "reported state = patches merged";
inline constexpr const char* kDesiredOrder = "desired seen in order";
inline constexpr const char* kDesiredLatest = "desired latest version reached";
inline constexpr const char* kDesiredRetained = "desired retained = full state";
inline constexpr const char* kC2dDelivered = "c2d delivered at least once";
inline constexpr const char* kMethodOutcome = "method answered or failed visibly";
inline constexpr const char* kPoisonDeadLettered = "poison dead-lettered";

// hubgate exits one poison message may cause: it is dead-lettered at the start after the second
// (gateway/core/poison_guard.hpp); a third is a crash loop.
inline constexpr int kMaxDeathsPerPoison = 2;

// A call that returns later than its timeout plus this left its caller hanging.
inline constexpr int64_t kMethodGraceMs = 15000;

std::vector<InvariantRow> check_invariants(const Ledger& ledger);

// The rows as an aligned text table (header, one line per row).
std::string format_table(const std::vector<InvariantRow>& rows);

// The row of `kind` (a default row when absent).
InvariantRow row_of(const std::vector<InvariantRow>& rows, const std::string& kind);

}  // namespace hubgate::chaos
