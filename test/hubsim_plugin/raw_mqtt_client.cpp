// Packet encoding and decoding for the test-only raw MQTT client.
#include "raw_mqtt_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

namespace hubsim::test {

namespace {

std::string u16(uint16_t value) {
    return std::string{static_cast<char>(value >> 8), static_cast<char>(value & 0xFF)};
}

std::string str(const std::string& text) {
    return u16(static_cast<uint16_t>(text.size())) + text;
}

std::string packet(uint8_t header, const std::string& body) {
    std::string out(1, static_cast<char>(header));
    size_t length = body.size();
    do {
        uint8_t byte = length % 128;
        length /= 128;
        if (length > 0)
            byte |= 0x80;
        out.push_back(static_cast<char>(byte));
    } while (length > 0);
    return out + body;
}

uint16_t read_u16(const std::string& data, size_t at) {
    return static_cast<uint16_t>((static_cast<uint8_t>(data[at]) << 8) |
                                 static_cast<uint8_t>(data[at + 1]));
}

}  // namespace

RawMqttClient::RawMqttClient(int port, const std::string& ca_file, const std::string& cert_file,
                             const std::string& key_file) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // as device SDKs do
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        throw std::runtime_error("raw client: TCP connect failed");
    }
    ctx_ = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    if (SSL_CTX_load_verify_locations(ctx_, ca_file.c_str(), nullptr) != 1) {
        throw std::runtime_error("raw client: cannot load CA " + ca_file);
    }
    if (!cert_file.empty() &&
        (SSL_CTX_use_certificate_file(ctx_, cert_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
         SSL_CTX_use_PrivateKey_file(ctx_, key_file.c_str(), SSL_FILETYPE_PEM) != 1)) {
        throw std::runtime_error("raw client: cannot load client certificate " + cert_file);
    }
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    SSL_set1_host(ssl_, "127.0.0.1");
    if (SSL_connect(ssl_) != 1)
        throw std::runtime_error("raw client: TLS handshake failed");
}

RawMqttClient::~RawMqttClient() {
    if (ssl_) {
        if (!closed_)
            SSL_shutdown(ssl_);
        SSL_free(ssl_);
    }
    if (ctx_)
        SSL_CTX_free(ctx_);
    if (fd_ >= 0)
        ::close(fd_);
}

void RawMqttClient::send(const std::string& data) {
    if (closed_)
        return;
    if (SSL_write(ssl_, data.data(), static_cast<int>(data.size())) <= 0)
        closed_ = true;
}

bool RawMqttClient::read_exact(char* out, size_t size,
                               std::chrono::steady_clock::time_point deadline) {
    size_t got = 0;
    while (got < size) {
        if (SSL_pending(ssl_) == 0) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0)
                return false;
            pollfd pfd{fd_, POLLIN, 0};
            if (::poll(&pfd, 1, static_cast<int>(left.count())) <= 0)
                return false;
        }
        int n = SSL_read(ssl_, out + got, static_cast<int>(size - got));
        if (n <= 0) {
            int error = SSL_get_error(ssl_, n);
            if (error == SSL_ERROR_WANT_READ)
                continue;
            closed_ = true;
            return false;
        }
        got += static_cast<size_t>(n);
    }
    return true;
}

std::optional<MqttPacket> RawMqttClient::read(std::chrono::milliseconds timeout) {
    if (closed_)
        return std::nullopt;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    char header = 0;
    if (!read_exact(&header, 1, deadline))
        return std::nullopt;
    size_t length = 0;
    for (int shift = 0; shift < 28; shift += 7) {
        char byte = 0;
        if (!read_exact(&byte, 1, deadline))
            return std::nullopt;
        length |= static_cast<size_t>(byte & 0x7F) << shift;
        if ((byte & 0x80) == 0)
            break;
    }
    MqttPacket p;
    p.type = static_cast<uint8_t>(header) >> 4;
    p.flags = static_cast<uint8_t>(header) & 0x0F;
    p.body.resize(length);
    if (length > 0 && !read_exact(p.body.data(), length, deadline))
        return std::nullopt;
    if (p.type == 3) {
        uint16_t topic_length = read_u16(p.body, 0);
        p.topic = p.body.substr(2, topic_length);
        size_t at = 2 + topic_length;
        if (p.qos() > 0) {
            p.packet_id = read_u16(p.body, at);
            at += 2;
        }
        p.payload = p.body.substr(at);
    }
    return p;
}

std::optional<int> RawMqttClient::connect(const std::string& client_id, const std::string& username,
                                          const std::string& password, bool clean_session,
                                          int protocol_level) {
    uint8_t flags = 0x80;  // username
    if (!password.empty())
        flags |= 0x40;
    if (clean_session)
        flags |= 0x02;
    std::string body =
        str("MQTT") + static_cast<char>(protocol_level) + static_cast<char>(flags) + u16(60);
    if (protocol_level == 5)
        body += '\0';  // no CONNECT properties
    body += str(client_id) + str(username);
    if (!password.empty())
        body += str(password);
    send(packet(0x10, body));
    auto reply = read();
    if (!reply || reply->type != 2 || reply->body.size() < 2)
        return std::nullopt;
    return static_cast<uint8_t>(reply->body[1]);
}

std::vector<int> RawMqttClient::subscribe(const std::vector<std::pair<std::string, int>>& filters) {
    uint16_t id = next_id_++;
    std::string body = u16(id);
    for (const auto& [filter, qos] : filters)
        body += str(filter) + static_cast<char>(qos);
    send(packet(0x82, body));
    while (auto reply = read()) {
        if (reply->type != 9)
            continue;
        std::vector<int> codes;
        for (size_t i = 2; i < reply->body.size(); ++i)
            codes.push_back(static_cast<uint8_t>(reply->body[i]));
        return codes;
    }
    return {};
}

void RawMqttClient::publish(const std::string& topic, const std::string& payload, int qos,
                            bool retain) {
    std::string body = str(topic);
    if (qos > 0) {
        last_publish_id_ = next_id_++;
        body += u16(last_publish_id_);
    }
    body += payload;
    send(packet(static_cast<uint8_t>(0x30 | (qos << 1) | (retain ? 1 : 0)), body));
}

bool RawMqttClient::wait_puback(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        auto p = read(std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now()));
        if (!p)
            return false;
        if ((p->type == 4 || p->type == 5) && read_u16(p->body, 0) == last_publish_id_)
            return true;
    }
    return false;
}

void RawMqttClient::puback(uint16_t packet_id) {
    send(packet(0x40, u16(packet_id)));
}

void RawMqttClient::disconnect() {
    send(packet(0xE0, ""));
    closed_ = true;
}

std::optional<MqttPacket> RawMqttClient::next_publish(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        auto p = read(std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now()));
        if (!p)
            return std::nullopt;
        if (p->type == 3)
            return p;
    }
    return std::nullopt;
}

bool RawMqttClient::wait_closed(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!closed_ && std::chrono::steady_clock::now() < deadline) {
        read(std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now()));
    }
    return closed_;
}

}  // namespace hubsim::test
