// When a hub's refusal of a provisioned device registers it again: once per episode, and never
// for an assignment the hub has not accepted yet (refusal_episodes.hpp).
#include <doctest/doctest.h>

#include "gateway/provisioning/refusal_episodes.hpp"

namespace hubgate::provisioning {

TEST_CASE("a refused assignment that had worked registers again once per refusal episode") {
    RefusalEpisodes episodes;
    episodes.assigned("s1");
    episodes.accepted("s1");  // connected with it
    CHECK(episodes.refused("s1", false) == RefusalVerdict::register_again);

    // DPS assigns it again; the hub accepts it; later it is deleted again: a new episode.
    episodes.assigned("s1");
    episodes.accepted("s1");
    CHECK(episodes.refused("s1", false) == RefusalVerdict::register_again);
}

TEST_CASE("an assignment the hub refuses before it ever accepted it does not loop") {
    RefusalEpisodes episodes;
    episodes.assigned("s1");
    episodes.accepted("s1");
    CHECK(episodes.refused("s1", true) == RefusalVerdict::register_again);
    // The registration ends assigned, but the hub still refuses the device (disabled there).
    episodes.assigned("s1");
    CHECK(episodes.refused("s1", true) == RefusalVerdict::refused_anew);  // said once
    CHECK(episodes.refused("s1", true) == RefusalVerdict::still_refused);
    CHECK(episodes.refused("s1", true) == RefusalVerdict::still_refused);
    // Enabled in the hub again: accepted, and the next refusal is a new episode.
    episodes.accepted("s1");
    CHECK(episodes.refused("s1", true) == RefusalVerdict::register_again);

    // Assigned in this run and refused at its first connect: the ordinary refused path.
    episodes.assigned("s2");
    CHECK(episodes.refused("s2", true) == RefusalVerdict::refused_anew);
}

TEST_CASE("a kept assignment counts as one that worked when the hub had accepted it") {
    RefusalEpisodes episodes;
    CHECK(episodes.refused("accepted-before", true) == RefusalVerdict::register_again);
    CHECK(episodes.refused("never-accepted", false) == RefusalVerdict::refused_anew);
    CHECK(episodes.refused("never-accepted", false) == RefusalVerdict::still_refused);
    // What this run saw wins over what was kept.
    episodes.accepted("never-accepted");
    CHECK(episodes.refused("never-accepted", false) == RefusalVerdict::register_again);
    // A refusal before the new assignment (a connect already under way) does not register the
    // device a second time.
    CHECK(episodes.refused("accepted-before", true) == RefusalVerdict::refused_anew);
}

}  // namespace hubgate::provisioning
