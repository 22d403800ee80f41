#include "link_observer.hpp"

#include <algorithm>
#include <thread>

namespace hubgate::transport::test {

LocalLinkHandlers LinkObserver::handlers() {
    LocalLinkHandlers handlers;
    handlers.on_message = [this](const InboundMessage& message) { return record(message); };
    return handlers;
}

InboundVerdict LinkObserver::record(const InboundMessage& message) {
    {
        std::lock_guard lock(mutex_);
        received_.push_back(Received{std::string(message.topic), std::string(message.payload),
                                     message.qos, message.retain});
    }
    changed_.notify_all();
    return InboundVerdict::taken;
}

std::vector<Received> LinkObserver::received() const {
    std::lock_guard lock(mutex_);
    return received_;
}

std::vector<std::string> LinkObserver::payloads() const {
    std::vector<std::string> out;
    for (const auto& item : received()) {
        out.push_back(item.payload);
    }
    return out;
}

bool LinkObserver::has_payload(const std::string& payload) const {
    const auto all = payloads();
    return std::find(all.begin(), all.end(), payload) != all.end();
}

bool LinkObserver::wait(const std::function<bool(const std::vector<Received>&)>& done,
                        std::chrono::milliseconds timeout) const {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return done(received_); });
}

bool LinkObserver::wait_for_payload(const std::string& payload,
                                    std::chrono::milliseconds timeout) const {
    return wait(
        [&](const std::vector<Received>& all) {
            return std::any_of(all.begin(), all.end(),
                               [&](const Received& item) { return item.payload == payload; });
        },
        timeout);
}

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!condition()) {
        if (std::chrono::steady_clock::now() > deadline) {
            return false;
        }
        std::this_thread::sleep_for(10ms);
    }
    return true;
}

LocalLinkOptions plain_options(int port, std::vector<std::string> filters, std::string client_id) {
    LocalLinkOptions options;
    options.host = "127.0.0.1";
    options.port = port;
    options.client_id = std::move(client_id);
    options.filters = std::move(filters);
    options.backoff_min = 50ms;
    options.backoff_max = 500ms;
    options.keepalive = std::chrono::seconds{5};
    return options;
}

}  // namespace hubgate::transport::test
