#pragma once
// Message ids ($.mid) assigned by the spool at append time: random UUIDs (version 4), so they stay
// unique across restarts and across gateway instances without any stored counter.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace hubgate::spool {

std::string new_message_id();

// A $.mid held in place, without a heap string: what append() answers with every message. The ids
// the spool assigns are 36-character UUIDs and the recent-sources window keeps none longer, so 36
// characters always hold one (a longer id is cut).
class MessageIdText {
  public:
    static constexpr std::size_t kMaxSize = 36;

    MessageIdText() = default;
    explicit MessageIdText(std::string_view id) {
        const std::string_view kept = id.substr(0, kMaxSize);
        kept.copy(chars_.data(), kept.size());
        size_ = static_cast<std::uint8_t>(kept.size());
    }

    std::string_view view() const { return {chars_.data(), size_}; }
    std::size_t size() const { return size_; }
    operator std::string_view() const { return view(); }          // NOLINT: reads as the id
    operator std::string() const { return std::string(view()); }  // NOLINT: for callers' maps

    friend bool operator==(const MessageIdText& a, const MessageIdText& b) {
        return a.view() == b.view();
    }
    friend bool operator==(const MessageIdText& a, std::string_view b) { return a.view() == b; }

  private:
    std::array<char, kMaxSize> chars_{};
    std::uint8_t size_ = 0;
};

}  // namespace hubgate::spool
