#include "gateway/transport/mosquitto_upstream.hpp"

#include <stdexcept>

#include "gateway/transport/mosquitto_loop.hpp"

namespace hubgate::transport {

namespace {

// Splits "ssl://host:port" (IPv6 hosts in brackets).
void parse_server_uri(const std::string& uri, std::string& host, int& port) {
    constexpr std::string_view scheme = "ssl://";
    if (!uri.starts_with(scheme)) {
        throw std::invalid_argument("libmosquitto upstream needs an ssl:// URI, got '" + uri + "'");
    }
    const std::string rest = uri.substr(scheme.size());
    const auto colon = rest.rfind(':');
    if (colon == std::string::npos || colon + 1 == rest.size()) {
        throw std::invalid_argument("no port in '" + uri + "'");
    }
    host = rest.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    }
    port = std::stoi(rest.substr(colon + 1));
}

// The session's handle: every call becomes a command for the loop thread.
class MosquittoConnection final : public UpstreamConnection {
  public:
    MosquittoConnection(MosquittoLoop& loop, std::unique_ptr<MosquittoLink> link)
        : loop_(loop), link_(link.release()) {}
    ~MosquittoConnection() override { loop_.destroy(link_); }

    void connect(const ConnectRequest& request) override {
        LinkCommand command = make(LinkCommand::Kind::Connect);
        command.connect = std::make_shared<const ConnectRequest>(request);
        loop_.post(std::move(command));
    }
    void disconnect() override { loop_.post(make(LinkCommand::Kind::Disconnect)); }
    void subscribe(const std::vector<std::string>& filters, int qos, uint64_t tag) override {
        LinkCommand command = make(LinkCommand::Kind::Subscribe);
        command.filters = filters;
        command.qos = qos;
        command.tag = tag;
        loop_.post(std::move(command));
    }
    void publish(std::string topic, std::string payload, int qos, uint64_t tag) override {
        LinkCommand command = make(LinkCommand::Kind::Publish);
        command.topic = std::move(topic);
        command.payload = std::move(payload);
        command.qos = qos;
        command.tag = tag;
        loop_.post(std::move(command));
    }

  private:
    LinkCommand make(LinkCommand::Kind kind) const {
        LinkCommand command;
        command.kind = kind;
        command.link = link_;
        return command;
    }

    MosquittoLoop& loop_;
    MosquittoLink* link_;  // owned by the loop from here on; destroyed through it
};

}  // namespace

MosquittoUpstreamFactory::MosquittoUpstreamFactory() = default;
MosquittoUpstreamFactory::~MosquittoUpstreamFactory() = default;

std::unique_ptr<UpstreamConnection> MosquittoUpstreamFactory::create(const std::string& server_uri,
                                                                     const std::string& client_id,
                                                                     UpstreamEvents& events) {
    std::string host;
    int port = 0;
    parse_server_uri(server_uri, host, port);
    if (!loop_) {
        loop_ = std::make_unique<MosquittoLoop>();
    }
    return std::make_unique<MosquittoConnection>(
        *loop_, std::make_unique<MosquittoLink>(host, port, client_id, events));
}

}  // namespace hubgate::transport
