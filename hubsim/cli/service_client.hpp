#pragma once
// A client of hubsim's HTTPS service API: trusts the hub's CA, signs each request with a fresh
// service SAS token of a shared access policy, and returns the raw answer. Used by the CLI
// wrappers and by the test fixture. Each call opens its own connection: safe from any thread.

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

namespace hubsim::cli {

struct ServiceReply {
    int status = 0;  // 0: no answer; `error` says why
    std::string content_type;
    std::string body;
    std::string error;
};

struct ServiceEndpoint {
    std::string host = "127.0.0.1";
    int port = 0;
    std::filesystem::path ca_file;
    std::string hub_hostname;  // the token's resource (sr)
    std::string policy = "iothubowner";
    std::string policy_key;  // base64
};

class ServiceClient {
  public:
    explicit ServiceClient(ServiceEndpoint endpoint) : endpoint_(std::move(endpoint)) {}

    // "SharedAccessSignature sr=...&sig=...&se=...&skn=...", valid for `ttl`.
    std::string token(std::chrono::seconds ttl = std::chrono::hours(1)) const;

    // `path` without api-version (it is added). `authorization`: nullopt = a fresh token;
    // "" = no Authorization header; anything else is sent as is.
    ServiceReply call(const std::string& method, const std::string& path,
                      const std::optional<std::string>& body = std::nullopt,
                      const std::optional<std::string>& authorization = std::nullopt) const;

    // How long to wait for an answer (direct methods and long polls take long).
    void set_read_timeout(std::chrono::seconds timeout) { read_timeout_ = timeout; }

  private:
    ServiceEndpoint endpoint_;
    std::chrono::seconds read_timeout_{330};
};

}  // namespace hubsim::cli
