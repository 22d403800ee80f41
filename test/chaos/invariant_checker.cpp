#include "invariant_checker.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

namespace hubgate::chaos {

namespace {

// Uplink: every acknowledged seq reached the hub; extra copies keep the first copy's $.mid.
std::vector<InvariantRow> check_uplink(const Ledger& ledger) {
    std::map<std::string, std::map<int64_t, std::vector<std::string>>> copies;
    for (const auto& message : ledger.hub_telemetry) {
        copies[message.device][message.seq].push_back(message.message_id);
    }
    InvariantRow lost{.kind = kUplinkLost};
    InvariantRow duplicates{.kind = kUplinkDuplicateNewMid};
    int64_t extra_copies = 0;
    std::string first_lost;
    std::string first_new_mid;
    for (const auto& [device, entry] : ledger.devices) {
        const auto& seen = copies[device];
        for (const auto seq : entry.telemetry_acked) {
            ++lost.checked;
            if (!seen.contains(seq)) {
                ++lost.violations;
                if (first_lost.empty()) {
                    first_lost = device + "#" + std::to_string(seq);
                }
            }
        }
    }
    for (const auto& [device, by_seq] : copies) {
        for (const auto& [seq, mids] : by_seq) {
            for (std::size_t i = 1; i < mids.size(); ++i) {
                ++extra_copies;
                ++duplicates.checked;
                if (mids[i] != mids.front()) {
                    ++duplicates.violations;
                    if (first_new_mid.empty()) {
                        first_new_mid = device + "#" + std::to_string(seq) + " (" + mids.front() +
                                        ", then " + mids[i] + ")";
                    }
                }
            }
        }
    }
    lost.detail = lost.violations == 0 ? "none" : "first " + first_lost;
    duplicates.detail = std::to_string(extra_copies) + " extra copies of " +
                        std::to_string(ledger.hub_telemetry.size()) + " received" +
                        (first_new_mid.empty() ? "" : "; first " + first_new_mid);
    return {lost, duplicates};
}

bool is_metadata_key(const std::string& key) {
    return !key.empty() && key.front() == '$';
}

// Reported: each top-level key of the final twin equals the last patch that wrote it (a null
// deletes it). A key last written before the last hub restart may be missing: excused.
InvariantRow check_reported(const Ledger& ledger) {
    InvariantRow row{.kind = kReportedState};
    int64_t keys_wrong = 0;
    std::vector<std::string> examples;  // a few, so that a failed run says how they differ
    for (const auto& [device, entry] : ledger.devices) {
        if (entry.reported.empty()) {
            continue;
        }
        ++row.checked;
        std::map<std::string, std::pair<json, int>> last_write;
        for (const auto& patch : entry.reported) {
            for (const auto& [key, value] : patch.patch.items()) {
                last_write[key] = {value, patch.epoch};
            }
        }
        const json reported =
            entry.final_twin
                ? entry.final_twin->value("/properties/reported"_json_pointer, json::object())
                : json::object();
        bool wrong = !entry.final_twin.has_value();
        bool excused = false;
        for (const auto& [key, write] : last_write) {
            const auto& [value, epoch] = write;
            const bool matches = value.is_null() ? !reported.contains(key)
                                                 : reported.contains(key) && reported[key] == value;
            if (matches) {
                continue;
            }
            if (epoch < ledger.final_epoch && !reported.contains(key)) {
                excused = true;
                continue;
            }
            wrong = true;
            ++keys_wrong;
            if (examples.size() < 3) {
                examples.push_back(device + " " + key + ": " + value.dump() + " (epoch " +
                                   std::to_string(epoch) + "), twin has " +
                                   (reported.contains(key) ? reported[key].dump() : "none"));
            }
        }
        if (wrong) {
            ++row.violations;
        } else if (excused) {
            ++row.excused;
        }
    }
    row.detail = std::to_string(keys_wrong) + " keys differ";
    for (const auto& example : examples) {
        row.detail += "; " + example;
    }
    return row;
}

// Desired: the dseqs a device saw never go backwards, and the last dseq the hub accepted
// reached the device (one accepted before the last hub restart may have died with that hub:
// excused). An intermediate version the device never saw is counted in the detail, not as a
// violation: a later document that reached it holds that version's changes too (IoT Hub itself
// does not replay the patches a disconnected device missed); whether the device's state holds
// them is the retained-state row's question.
std::vector<InvariantRow> check_desired(const Ledger& ledger) {
    InvariantRow order{.kind = kDesiredOrder};
    InvariantRow latest{.kind = kDesiredLatest};
    int64_t inversions = 0;
    int64_t skipped = 0;
    std::vector<std::string> missed;  // a few devices whose latest never arrived
    for (const auto& [device, entry] : ledger.devices) {
        if (entry.desired_sent.empty()) {
            continue;
        }
        ++order.checked;
        ++latest.checked;
        int64_t highest = 0;
        bool backwards = false;
        for (const auto dseq : entry.desired_seen) {
            if (dseq < highest) {
                backwards = true;
                ++inversions;
            }
            highest = std::max(highest, dseq);
        }
        if (backwards) {
            ++order.violations;
        }
        const std::set<int64_t> seen(entry.desired_seen.begin(), entry.desired_seen.end());
        for (const auto& sent : entry.desired_sent) {
            skipped += seen.contains(sent.dseq) ? 0 : 1;
        }
        const auto& last = entry.desired_sent.back();
        if (seen.contains(last.dseq)) {
            continue;
        }
        --skipped;  // counted as a violation or excused below, not as superseded
        if (last.epoch < ledger.final_epoch) {
            ++latest.excused;
        } else {
            ++latest.violations;
            if (missed.size() < 3) {
                missed.push_back(device + " dseq " + std::to_string(last.dseq) + " (saw " +
                                 (entry.desired_seen.empty()
                                      ? std::string("none")
                                      : std::to_string(entry.desired_seen.back())) +
                                 ")");
            }
        }
    }
    order.detail = std::to_string(inversions) + " steps backwards";
    latest.detail = std::to_string(skipped) + " earlier versions never seen (superseded)";
    for (const auto& example : missed) {
        latest.detail += "; " + example;
    }
    return {order, latest};
}

// Desired retained: a fresh subscriber's retained message holds every desired key of the twin
// with the twin's value (the whole state, not only the last patch).
InvariantRow check_desired_retained(const Ledger& ledger) {
    InvariantRow row{.kind = kDesiredRetained};
    int64_t keys_missing = 0;
    std::vector<std::string> examples;
    for (const auto& [device, entry] : ledger.devices) {
        if (entry.desired_sent.empty() || !entry.final_twin) {
            continue;
        }
        ++row.checked;
        const json desired =
            entry.final_twin->value("/properties/desired"_json_pointer, json::object());
        const json retained = entry.desired_retained.value_or(json::object());
        bool wrong = false;
        for (const auto& [key, value] : desired.items()) {
            if (is_metadata_key(key)) {
                continue;
            }
            if (!retained.is_object() || !retained.contains(key) || retained[key] != value) {
                wrong = true;
                ++keys_missing;
                if (examples.size() < 3) {
                    examples.push_back(
                        device + " " + key + ": twin " + value.dump() + " $version " +
                        desired.value("$version", json()).dump() + ", retained " +
                        (retained.is_object() && retained.contains(key) ? retained[key].dump()
                                                                        : std::string("none")) +
                        " $version " +
                        (retained.is_object() ? retained.value("$version", json()).dump()
                                              : std::string("none")));
                }
            }
        }
        if (wrong) {
            ++row.violations;
        }
    }
    row.detail = std::to_string(keys_missing) + " keys missing or stale";
    for (const auto& example : examples) {
        row.detail += "; " + example;
    }
    return row;
}

// C2D: every message the hub accepted reached the device; one accepted before a hub restart
// and never seen is excused (the emulator's queue died with it).
InvariantRow check_c2d(const Ledger& ledger) {
    InvariantRow row{.kind = kC2dDelivered};
    int64_t duplicates = 0;
    for (const auto& [device, entry] : ledger.devices) {
        std::map<std::string, int> seen;
        for (const auto& id : entry.c2d_seen) {
            if (++seen[id] > 1) {
                ++duplicates;
            }
        }
        for (const auto& sent : entry.c2d_sent) {
            ++row.checked;
            if (seen.contains(sent.id)) {
                continue;
            }
            if (sent.epoch < ledger.final_epoch) {
                ++row.excused;
            } else {
                ++row.violations;
            }
        }
    }
    row.detail = std::to_string(duplicates) + " delivered twice";
    return row;
}

// Methods: the caller got the device's answer, or a failure status, within timeout + grace. A
// failure status is the hub's (HTTP 404, 504, ...) or, in a 200, the one the device answered
// with: hubgate answers 504 for a legacy device that did not answer in time, which can reach
// the hub just before the hub's own timeout. A 200 whose payload is not the device's answer is
// a violation.
InvariantRow check_methods(const Ledger& ledger) {
    InvariantRow row{.kind = kMethodOutcome};
    int64_t answered = 0;
    std::map<std::string, int64_t> failures;
    std::string first;  // the first violation, so a failed run says which call and how
    for (const auto& [device, entry] : ledger.devices) {
        for (const auto& call : entry.methods) {
            ++row.checked;
            const bool hung = call.elapsed_ms > call.timeout_ms + kMethodGraceMs;
            const bool device_failed =
                call.http_status == 200 && call.device_status != 0 && call.device_status != 200;
            const bool garbled = call.http_status == 200 && !device_failed && !call.payload_echoed;
            if (hung || garbled) {
                ++row.violations;
                if (first.empty()) {
                    first = device + ": " + std::to_string(call.http_status) + " after " +
                            std::to_string(call.elapsed_ms) + " ms (timeout " +
                            std::to_string(call.timeout_ms) + ")" +
                            (garbled ? ", answer " + call.answer : std::string());
                }
            } else if (device_failed) {
                ++failures["device " + std::to_string(call.device_status)];
            } else if (call.http_status == 200) {
                ++answered;
            } else {
                ++failures[call.http_status == 0 ? std::string("no connection")
                                                 : std::to_string(call.http_status)];
            }
        }
    }
    row.detail = std::to_string(answered) + " answered";
    for (const auto& [status, count] : failures) {
        row.detail += ", " + std::to_string(count) + " x " + status;
    }
    if (!first.empty()) {
        row.detail += "; first " + first;
    }
    return row;
}

// Poison: every message a plugin crashed or hung on that the local broker acknowledged is in the
// dead-letter folder, never reached the hub, and took hubgate down at most twice. (They are not
// telemetry: the uplink rows never count them.)
InvariantRow check_poison(const Ledger& ledger) {
    InvariantRow row{.kind = kPoisonDeadLettered};
    std::set<std::pair<std::string, std::string>> kept;
    for (const auto& letter : ledger.dead_letters) {
        kept.insert({letter.topic, letter.payload});
    }
    std::set<std::pair<std::string, int64_t>> at_hub;
    for (const auto& message : ledger.hub_telemetry) {
        at_hub.insert({message.device, message.seq});
    }
    std::map<int, int64_t> by_deaths;
    std::vector<std::string> problems;
    int64_t unacknowledged = 0;
    for (const auto& poison : ledger.poison) {
        if (!poison.acked) {
            ++unacknowledged;
            continue;
        }
        ++row.checked;
        ++by_deaths[poison.deaths];
        std::string why;
        if (!kept.contains({poison.topic, poison.payload})) {
            why += " not dead-lettered";
        }
        if (at_hub.contains({poison.device, poison.seq})) {
            why += " reached the hub";
        }
        if (poison.deaths > kMaxDeathsPerPoison) {
            why += " " + std::to_string(poison.deaths) + " deaths";
        }
        if (!why.empty()) {
            ++row.violations;
            if (problems.size() < 3) {
                problems.push_back(poison.device + " seq " + std::to_string(poison.seq) + ":" +
                                   why);
            }
        }
    }
    row.detail = std::to_string(ledger.dead_letters.size()) + " in the dead-letter folder";
    for (const auto& [deaths, count] : by_deaths) {
        row.detail += ", " + std::to_string(count) + " x " + std::to_string(deaths) + " deaths";
    }
    if (unacknowledged > 0) {
        row.detail += ", " + std::to_string(unacknowledged) + " never acknowledged by the broker";
    }
    for (const auto& problem : problems) {
        row.detail += "; " + problem;
    }
    return row;
}

}  // namespace

std::vector<InvariantRow> check_invariants(const Ledger& ledger) {
    std::vector<InvariantRow> rows = check_uplink(ledger);
    rows.push_back(check_reported(ledger));
    for (auto& row : check_desired(ledger)) {
        rows.push_back(std::move(row));
    }
    rows.push_back(check_desired_retained(ledger));
    rows.push_back(check_c2d(ledger));
    rows.push_back(check_methods(ledger));
    rows.push_back(check_poison(ledger));
    return rows;
}

std::string format_table(const std::vector<InvariantRow>& rows) {
    std::string text;
    char line[512];
    std::snprintf(line, sizeof line, "%-36s %9s %10s %8s  %s\n", "invariant", "checked",
                  "violations", "excused", "detail");
    text += line;
    for (const auto& row : rows) {
        std::snprintf(line, sizeof line, "%-36s %9lld %10lld %8lld  %s\n", row.kind.c_str(),
                      static_cast<long long>(row.checked), static_cast<long long>(row.violations),
                      static_cast<long long>(row.excused), row.detail.c_str());
        text += line;
    }
    return text;
}

InvariantRow row_of(const std::vector<InvariantRow>& rows, const std::string& kind) {
    for (const auto& row : rows) {
        if (row.kind == kind) {
            return row;
        }
    }
    return InvariantRow{.kind = kind};
}

}  // namespace hubgate::chaos
