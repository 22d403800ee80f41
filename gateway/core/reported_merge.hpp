#pragma once
// Reported-property patches of one device that were held back (its session offline, or an
// earlier PATCH still unanswered because of the twin-update budget) go up as one PATCH: the
// patches, in order, composed into a single JSON merge patch (RFC 7386) that leaves the twin in
// the state applying each of them would have. Pure logic; the spool sender uses it.

#include <cstddef>
#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

namespace hubgate::core {

// Composes `next` after `merged`: afterwards, applying `merged` once has the effect of applying
// the old `merged` and then `next`. False, with `merged` untouched, when no single merge patch
// has that effect: `next` gives an object to a key that `merged` deletes or sets to a non-object
// (the object would have to replace what the twin holds there, and a merge patch can only merge
// into it). Both must be JSON objects.
bool compose_merge_patch(nlohmann::json& merged, const nlohmann::json& next);

// Collects consecutive patches into one, within limits.
class ReportedMerge {
  public:
    // At most this many patches in one PATCH, and at most about this many bytes of JSON: IoT Hub
    // refuses large twin documents (32 KiB of reported properties), and a refused merged PATCH
    // would fail every patch in it.
    static constexpr std::size_t kMaxPatches = 100;
    static constexpr std::size_t kMaxBytes = 16 * 1024;

    // Adds the patch of spool record `seq`. False (nothing changed) when it cannot join: send
    // what is collected first, then start again with it.
    bool add(std::uint64_t seq, const nlohmann::json& patch);

    bool empty() const { return seqs_.empty(); }
    const nlohmann::json& patch() const { return patch_; }
    // The spool records the PATCH stands for, oldest first.
    const std::vector<std::uint64_t>& seqs() const { return seqs_; }

  private:
    nlohmann::json patch_ = nlohmann::json::object();
    std::vector<std::uint64_t> seqs_;
};

}  // namespace hubgate::core
