#pragma once
// The thread that drives every libmosquitto upstream link: one epoll set for all sockets, a
// command queue that other threads fill (connect, publish, ...), and a one-second timer for
// keepalives and deadlines. Links are touched only on this thread.

#include <cstdint>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "gateway/transport/mosquitto_link.hpp"
#include "gateway/transport/upstream_tls.hpp"
#include "gateway/transport/wakeup_fd.hpp"

namespace hubgate::transport {

// One request for a link, made on another thread and carried out on the loop's.
struct LinkCommand {
    enum class Kind { Connect, Disconnect, Subscribe, Publish, Destroy };
    Kind kind = Kind::Publish;
    MosquittoLink* link = nullptr;
    std::string topic;
    std::string payload;
    int qos = 0;
    uint64_t tag = 0;
    std::vector<std::string> filters;
    std::shared_ptr<const ConnectRequest> connect;
    std::promise<void>* destroyed = nullptr;
};

class MosquittoLoop {
  public:
    MosquittoLoop();  // starts the thread; throws std::system_error if epoll is refused
    ~MosquittoLoop();
    MosquittoLoop(const MosquittoLoop&) = delete;
    MosquittoLoop& operator=(const MosquittoLoop&) = delete;

    // Queues a command; commands run in the order they were posted.
    void post(LinkCommand command);
    // Runs a Destroy for `link` and waits for it: no event of the link follows the return.
    void destroy(MosquittoLink* link);

  private:
    void run();
    void run_commands();
    void execute(LinkCommand& command);
    void sync_socket(MosquittoLink& link);
    void unregister(MosquittoLink& link);

    int epoll_fd_ = -1;
    transport::WakeupFd wakeup_;
    std::mutex mutex_;
    std::vector<LinkCommand> queue_;            // guarded by mutex_
    std::vector<LinkCommand> running_;          // loop thread only
    bool stopping_ = false;                     // guarded by mutex_
    std::unordered_set<MosquittoLink*> links_;  // loop thread only
    TlsContextCache tls_;                       // loop thread only
    std::thread thread_;
};

}  // namespace hubgate::transport
