#pragma once
// hubsim's service API over one keep-alive HTTPS connection (cpp-httplib, TCP_NODELAY, the CA
// hubsim generated, an owner token signed once), for the benchmarks that time service calls.
// `connections_opened()` counts (re)connections, so a benchmark can tell the calls that paid a
// TLS handshake from those on a reused connection.

#include <chrono>
#include <string>

#include <httplib.h>

#include "hubsim_fixture/hubsim_fixture.hpp"

namespace hubgate::bench {

class ServiceConnection {
  public:
    ServiceConnection(const test::HubsimFixture& hub, std::chrono::seconds read_timeout)
        : client_("127.0.0.1", hub.https_port()),
          authorization_(hub.service_token(std::chrono::hours(1))) {
        client_.set_ca_cert_path(hub.ca_file().string());
        client_.enable_server_certificate_verification(true);
        client_.set_keep_alive(true);
        client_.set_tcp_nodelay(true);
        client_.set_connection_timeout(std::chrono::seconds(5));
        client_.set_read_timeout(read_timeout);
        client_.set_socket_options([this](int) { ++connections_opened_; });
    }

    // `method` `path`?api-version=... with a JSON `body` (none when empty); no answer: a null
    // result.
    httplib::Result call(const std::string& method, const std::string& path,
                         const std::string& body) {
        httplib::Request request;
        request.method = method;
        request.path = path + "?api-version=2021-04-12";
        request.headers.emplace("Authorization", authorization_);
        if (!body.empty()) {
            request.body = body;
            request.headers.emplace("Content-Type", "application/json");
        }
        return client_.send(request);
    }

    int connections_opened() const { return connections_opened_; }

  private:
    httplib::SSLClient client_;
    std::string authorization_;
    int connections_opened_ = 0;
};

}  // namespace hubgate::bench
