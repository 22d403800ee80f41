#pragma once
// An eventfd that other threads signal to wake the link thread out of poll().

namespace hubgate::transport {

// Signal from any thread; the owning thread polls fd() for POLLIN and then drains it.
class WakeupFd {
  public:
    WakeupFd();  // throws std::system_error if the kernel refuses an eventfd
    ~WakeupFd();
    WakeupFd(const WakeupFd&) = delete;
    WakeupFd& operator=(const WakeupFd&) = delete;

    int fd() const { return fd_; }
    void signal();
    void drain();

  private:
    int fd_ = -1;
};

}  // namespace hubgate::transport
