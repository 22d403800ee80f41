#include "gateway/metrics/metrics_server.hpp"

#include <httplib.h>
#include <sys/socket.h>

#include "gateway/metrics/registry.hpp"

namespace hubgate::metrics {

MetricsServer::MetricsServer(const Registry& registry) : registry_(registry) {}

MetricsServer::~MetricsServer() {
    stop();
}

std::optional<std::string> MetricsServer::start(const std::string& host, std::uint16_t port) {
    if (server_)
        return "the metrics endpoint is already serving";
    auto server = std::make_unique<httplib::Server>();
    // httplib's default sets SO_REUSEPORT, which lets a second daemon bind the same port and
    // steal half the scrapes; SO_REUSEADDR alone still allows a quick restart.
    server->set_socket_options([](int socket) {
        int yes = 1;
        ::setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    });
    server->Get("/metrics", [this](const httplib::Request&, httplib::Response& response) {
        response.set_content(registry_.render(), kTextContentType);
    });
    int bound = -1;
    if (port == 0)
        bound = server->bind_to_any_port(host);
    else if (server->bind_to_port(host, port))
        bound = port;
    if (bound <= 0)
        return "cannot listen on " + host + ":" + std::to_string(port) + " for metrics";
    port_ = static_cast<std::uint16_t>(bound);
    server_ = std::move(server);
    listen_returned_ = false;
    // The socket is bound and listening already: connections made before the thread runs wait
    // in the backlog.
    thread_ = std::thread([this] {
        server_->listen_after_bind();
        listen_returned_ = true;
    });
    return std::nullopt;
}

void MetricsServer::stop() {
    if (!server_)
        return;
    // httplib's stop() does nothing before the listen loop has started: wait for it to start
    // (or to have failed) first.
    while (!server_->is_running() && !listen_returned_)
        std::this_thread::yield();
    server_->stop();
    thread_.join();
    server_.reset();
}

}  // namespace hubgate::metrics
