#pragma once
// libmosquitto opens a socket pair for every client it creates (mosquitto_new), only to wake its
// own network thread (mosquitto_loop_start) and writes a byte to it for every packet queued.
// hubgate drives its clients from loops of its own (the local link's poll, the device sessions'
// epoll) and never reads that pair: two file descriptors per client for nothing (with a hard
// limit of 20,000 descriptors, 10,000 device sessions would not fit) and a failing write() per
// packet once the pair's buffer is full. While a WakeupPairGuard lives on a thread, socketpair() on
// that thread fails with EMFILE, which libmosquitto tolerates: it logs a warning (hubgate installs
// no log callback on these clients) and skips the wake-up writes. Every other socketpair() call, on
// any thread, goes to the C library unchanged.

namespace hubgate::transport {

class WakeupPairGuard {
  public:
    WakeupPairGuard();
    ~WakeupPairGuard();
    WakeupPairGuard(const WakeupPairGuard&) = delete;
    WakeupPairGuard& operator=(const WakeupPairGuard&) = delete;
};

}  // namespace hubgate::transport
