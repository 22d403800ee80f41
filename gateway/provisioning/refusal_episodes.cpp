#include "gateway/provisioning/refusal_episodes.hpp"

namespace hubgate::provisioning {

void RefusalEpisodes::assigned(const std::string& registration_id) {
    devices_[registration_id] = Assignment::unproven;
}

void RefusalEpisodes::accepted(const std::string& registration_id) {
    devices_[registration_id] = Assignment::works;
}

RefusalVerdict RefusalEpisodes::refused(const std::string& registration_id, bool kept_worked) {
    const auto [entry, inserted] = devices_.try_emplace(
        registration_id, kept_worked ? Assignment::works : Assignment::unproven);
    switch (entry->second) {
        case Assignment::works:
            // The registration this starts ends in an assignment not yet accepted.
            entry->second = Assignment::unproven;
            return RefusalVerdict::register_again;
        case Assignment::unproven:
            entry->second = Assignment::unproven_said;
            return RefusalVerdict::refused_anew;
        case Assignment::unproven_said:
            break;
    }
    return RefusalVerdict::still_refused;
}

}  // namespace hubgate::provisioning
