#include "gateway/provisioning/refusal_episodes.hpp"

namespace hubgate::provisioning {

void RefusalEpisodes::assigned(const std::string& registration_id) {
    unproven_[registration_id] = false;
}

void RefusalEpisodes::accepted(const std::string& registration_id) {
    unproven_.erase(registration_id);
}

RefusalVerdict RefusalEpisodes::refused(const std::string& registration_id) {
    // Inserted now: the registration this starts ends in an assignment not yet accepted.
    const auto [entry, inserted] = unproven_.try_emplace(registration_id, false);
    if (inserted)
        return RefusalVerdict::register_again;
    if (entry->second)
        return RefusalVerdict::still_refused;
    entry->second = true;
    return RefusalVerdict::refused_anew;
}

}  // namespace hubgate::provisioning
