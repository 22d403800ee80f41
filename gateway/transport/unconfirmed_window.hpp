#pragma once
// How many local messages hubgate has taken whose PUBACKs the local broker has not confirmed
// processing (puback_echo.hpp), and whether the local link may read more. Pure logic, used on
// the local link thread; the echo's confirmed count comes in as a number.

#include <chrono>
#include <cstdint>
#include <optional>

namespace hubgate::transport {

class UnconfirmedWindow {
  public:
    using Clock = std::chrono::steady_clock;

    // `limit` 0: never holds reads back.
    explicit UnconfirmedWindow(std::uint64_t limit) : limit_(limit) {}

    // One QoS 1/2 message taken (its PUBACK goes out with the next commit).
    void taken() { ++taken_; }
    // After a successful commit: the marker to publish behind that batch's PUBACKs, if any new
    // message was taken since the last one. `acknowledged`: the messages taken (counted like
    // taken()) whose PUBACKs that batch releases; the link reads on while a batch syncs, so
    // more may have been taken since.
    std::optional<std::uint64_t> marker_after_commit(Clock::time_point now,
                                                     std::uint64_t acknowledged);
    // While reads are held back: the marker again, when none came back for a while (a QoS 0
    // marker can be lost, e.g. while the echo connection reconnects).
    std::optional<std::uint64_t> marker_to_repeat(Clock::time_point now);
    // May the link read more? `echo_ready`: the echo connection is subscribed; `confirmed`: the
    // highest marker that came back. Without a working echo, or when it has stayed silent for
    // kGiveUp while reads were held back, reads go on (as without this window).
    bool allows(bool echo_ready, std::uint64_t confirmed, Clock::time_point now);
    // The local connection was lost: PUBACKs not processed by then are gone with it (the broker
    // redelivers those messages), so nothing of it is waited for any more.
    void connection_lost() { base_ = taken_; }

    std::uint64_t unconfirmed(std::uint64_t confirmed) const;

    static constexpr auto kRepeatAfter = std::chrono::milliseconds{500};
    static constexpr auto kGiveUp = std::chrono::seconds{10};

  private:
    std::uint64_t limit_;
    std::uint64_t taken_ = 0;   // messages taken since start
    std::uint64_t marked_ = 0;  // the last marker published
    std::uint64_t base_ = 0;    // taken_ when the last connection was lost
    std::uint64_t last_confirmed_ = 0;
    Clock::time_point marked_at_{};
    Clock::time_point progress_at_{};  // when the confirmed count last moved
    bool holding_ = false;
};

}  // namespace hubgate::transport
