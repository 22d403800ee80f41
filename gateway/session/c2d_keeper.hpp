#pragma once
// Where a cloud-to-device message is made durable before the hub may see its PUBACK.
//
// IoT Hub forgets a C2D message once it has the device's PUBACK, so a gateway that dies between
// that PUBACK and the local publish loses it. The libmosquitto link therefore calls keep() on
// its I/O thread, from inside the message callback, while the PUBACK is only queued (see
// MosquittoLink::read); the PUBACK is written after keep() returned true. With Paho (WebSocket
// or a proxy) the library has already sent the PUBACK when its callback thread hands the
// message over: keep() still runs first thing, which leaves the time between the two.

#include <cstdint>
#include <optional>
#include <string>

namespace hubgate::session {

class C2dKeeper {
  public:
    virtual ~C2dKeeper() = default;
    // Stores the message (the hub's topic, which carries its properties, and the payload)
    // durably. Returns its ticket, or nullopt when it could not be stored: the link then drops
    // the connection without acknowledging it, and the hub delivers it again.
    virtual std::optional<std::uint64_t> keep(const std::string& device_id,
                                              const std::string& topic,
                                              const std::string& payload) = 0;
    // The kept message will not be published (dropped on purpose, or it could never be):
    // forget it. Any thread.
    virtual void release(std::uint64_t ticket) = 0;
};

}  // namespace hubgate::session
