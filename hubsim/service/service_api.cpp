// start_service_api: the HTTPS server (cpp-httplib over OpenSSL) that exposes a HubService.

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <stdexcept>
#include <thread>

#include "hubsim/common/dps_service.hpp"
#include "hubsim/common/hub_service.hpp"
#include "hubsim/service/enrollment_routes.hpp"
#include "hubsim/service/routes.hpp"

namespace hubsim {

namespace {

// Direct methods block a server thread for up to 300 s each: enough threads that a few slow
// calls do not stall telemetry reads and twin operations.
constexpr size_t kServerThreads = 32;

// The running server and the thread that accepts its connections.
class HttpsServiceApi final : public ServiceApi {
  public:
    HttpsServiceApi(HubService& hub, const ServiceApiOptions& options)
        : server_(options.cert_file.c_str(), options.key_file.c_str()) {
        if (!server_.is_valid()) {
            throw std::runtime_error("hubsim service: cannot load the certificate '" +
                                     options.cert_file + "' or its key");
        }
        server_.new_task_queue = [] { return new httplib::ThreadPool(kServerThreads); };
        server_.set_payload_max_length(1 << 20);
        // Small JSON answers: without TCP_NODELAY, Nagle + delayed ACK add ~40 ms to a call
        // (a direct method must take a few ms at idle).
        server_.set_tcp_nodelay(true);
        // httplib closes a keep-alive connection after 5 requests by default, so every fifth
        // call paid a new TLS handshake; IoT Hub keeps service connections open.
        server_.set_keep_alive_max_count(1000);
        add_service_routes(server_, hub, counters_, options.extra_hubs);
        if (options.dps != nullptr)
            add_enrollment_routes(server_, hub, *options.dps, counters_);
        if (!server_.bind_to_port(options.bind, options.port)) {
            throw std::runtime_error("hubsim service: cannot listen on " + options.bind + ":" +
                                     std::to_string(options.port));
        }
        thread_ = std::thread([this] { server_.listen_after_bind(); });
        spdlog::info("hubsim service: HTTPS API on {}:{}", options.bind, options.port);
    }

    ~HttpsServiceApi() override {
        server_.stop();
        thread_.join();
    }

  private:
    ServiceCounters counters_;
    httplib::SSLServer server_;
    std::thread thread_;
};

}  // namespace

std::unique_ptr<ServiceApi> start_service_api(HubService& hub, const ServiceApiOptions& options) {
    return std::make_unique<HttpsServiceApi>(hub, options);
}

}  // namespace hubsim
