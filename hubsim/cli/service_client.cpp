#include "hubsim/cli/service_client.hpp"

#include <httplib.h>

#include "hubgate/iothub/sas_token.hpp"

namespace hubsim::cli {

std::string ServiceClient::token(std::chrono::seconds ttl) const {
    return hubgate::iothub::make_sas_token({endpoint_.hub_hostname, endpoint_.policy_key,
                                            endpoint_.policy, hubgate::iothub::expiry_after(ttl)});
}

ServiceReply ServiceClient::call(const std::string& method, const std::string& path,
                                 const std::optional<std::string>& body,
                                 const std::optional<std::string>& authorization) const {
    httplib::SSLClient client(endpoint_.host, endpoint_.port);
    client.set_ca_cert_path(endpoint_.ca_file.string());
    client.enable_server_certificate_verification(true);
    client.set_connection_timeout(std::chrono::seconds(5));
    client.set_tcp_nodelay(true);
    client.set_read_timeout(read_timeout_);
    client.set_write_timeout(std::chrono::seconds(30));

    httplib::Request request;
    request.method = method;
    request.path =
        path + (path.find('?') == std::string::npos ? "?" : "&") + "api-version=2021-04-12";
    const auto auth = authorization ? *authorization : token();
    if (!auth.empty()) {
        request.headers.emplace("Authorization", auth);
    }
    if (body) {
        request.body = *body;
        request.headers.emplace("Content-Type", "application/json");
    }
    ServiceReply reply;
    const auto result = client.send(request);
    if (!result) {
        reply.error = httplib::to_string(result.error());
        if (client.get_openssl_verify_result() != X509_V_OK) {
            reply.error += std::string(" (") +
                           X509_verify_cert_error_string(client.get_openssl_verify_result()) + ")";
        }
        return reply;
    }
    reply.status = result->status;
    reply.content_type = result->get_header_value("Content-Type");
    reply.body = result->body;
    return reply;
}

}  // namespace hubsim::cli
