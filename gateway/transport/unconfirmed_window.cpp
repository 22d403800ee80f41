#include "gateway/transport/unconfirmed_window.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace hubgate::transport {

std::optional<std::uint64_t> UnconfirmedWindow::marker_after_commit(Clock::time_point now,
                                                                    std::uint64_t acknowledged) {
    acknowledged = std::min(acknowledged, taken_);
    if (limit_ == 0 || acknowledged <= marked_) {
        return std::nullopt;
    }
    marked_ = acknowledged;
    marked_at_ = now;
    return marked_;
}

std::optional<std::uint64_t> UnconfirmedWindow::marker_to_repeat(Clock::time_point now) {
    if (!holding_ || marked_ == 0 || now - marked_at_ < kRepeatAfter) {
        return std::nullopt;
    }
    marked_at_ = now;
    return marked_;
}

std::uint64_t UnconfirmedWindow::unconfirmed(std::uint64_t confirmed) const {
    return taken_ - std::min(taken_, std::max(confirmed, base_));
}

bool UnconfirmedWindow::allows(bool echo_ready, std::uint64_t confirmed, Clock::time_point now) {
    if (confirmed != last_confirmed_) {
        last_confirmed_ = confirmed;
        progress_at_ = now;
    }
    const bool over = limit_ > 0 && echo_ready && unconfirmed(confirmed) >= limit_;
    if (!over) {
        holding_ = false;
        return true;
    }
    if (!holding_) {
        holding_ = true;
        progress_at_ = now;  // the silence counts from here
    }
    if (now - progress_at_ >= kGiveUp) {
        // The markers do not come back (an ACL that refuses them?): waiting longer only stalls.
        spdlog::warn(
            "local link: the local broker has not echoed hubgate's PUBACK marker for {} s; "
            "reading on without waiting for it",
            std::chrono::duration_cast<std::chrono::seconds>(kGiveUp).count());
        progress_at_ = now;
        base_ = taken_;
        holding_ = false;
        return true;
    }
    return false;
}

}  // namespace hubgate::transport
