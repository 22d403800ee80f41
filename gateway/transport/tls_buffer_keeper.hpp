#pragma once
// When a device socket keeps its TLS buffers between records.
//
// Every TLS context sets SSL_MODE_RELEASE_BUFFERS: most sessions are idle, and an idle session
// then holds 24 KiB instead of 40. But under that mode OpenSSL allocates and frees a ~16 KiB
// buffer around every record, 2.7% of the instructions of a forwarded message. So a session
// that sends twice within kQuiet keeps its buffers (the mode cleared on its SSL object) until it
// has been quiet for kQuiet, and then gives them back. One send is not enough: every session
// sends a twin GET when it connects, and 10,000 sessions would then all hold their buffers.

#include <chrono>

namespace hubgate::transport {

class TlsBufferKeeper {
  public:
    using Clock = std::chrono::steady_clock;
    static constexpr Clock::duration kQuiet = std::chrono::seconds(2);

    // The session sent something. True when the buffers are to be kept from now on (the caller
    // clears SSL_MODE_RELEASE_BUFFERS).
    bool on_traffic(Clock::time_point now) {
        const bool busy = sent_ && now - last_traffic_ < kQuiet;
        sent_ = true;
        last_traffic_ = now;
        if (keeping_ || !busy) {
            return false;
        }
        keeping_ = true;
        return true;
    }

    // The once-a-second timer. True when the buffers are to be released now (the caller sets the
    // mode again and frees them).
    bool on_timer(Clock::time_point now) {
        if (!keeping_ || now - last_traffic_ < kQuiet) {
            return false;
        }
        keeping_ = false;
        return true;
    }

    // A new connection: its SSL object starts with the context's mode (release).
    void reset() {
        keeping_ = false;
        sent_ = false;
    }

    bool keeping() const { return keeping_; }

  private:
    bool keeping_ = false;
    bool sent_ = false;
    Clock::time_point last_traffic_{};
};

}  // namespace hubgate::transport
