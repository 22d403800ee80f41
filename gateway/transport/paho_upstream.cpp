#include "gateway/transport/paho_upstream.hpp"

#include <cstdint>

#include <MQTTAsync.h>
#include <mqtt/async_client.h>
#include <spdlog/spdlog.h>

#include "gateway/liveness/thread_heartbeat.hpp"

namespace hubgate::transport {

namespace {

// Publishes in flight per connection. Paho's default with create_options is 100, which
// refuses publishes even while connected ("MQTT error [-12]: No more messages can be
// buffered"), found with Paho C++ 1.2.0 / Paho C 1.3.12 as Debian 12 packages them.
constexpr int kMaxBufferedMessages = 65535;
constexpr auto kPahoDisconnectTimeout = std::chrono::seconds(2);

void* tag_context(uint64_t tag) {
    return reinterpret_cast<void*>(static_cast<uintptr_t>(tag));
}
uint64_t context_tag(const mqtt::token& token) {
    return static_cast<uint64_t>(reinterpret_cast<uintptr_t>(token.get_user_context()));
}

// An iaction_listener from two lambdas (Paho wants an object that outlives the token). Each
// call is watched: it runs on Paho's thread, which has no loop of ours to beat on.
class Listener final : public mqtt::iaction_listener {
  public:
    using Handler = std::function<void(const mqtt::token&, bool ok)>;
    Listener(liveness::CallWatch& watch, Handler handler)
        : watch_(watch), handler_(std::move(handler)) {}
    void on_success(const mqtt::token& token) override {
        const liveness::CallWatch::Call call(watch_);
        handler_(token, true);
    }
    void on_failure(const mqtt::token& token) override {
        const liveness::CallWatch::Call call(watch_);
        handler_(token, false);
    }

  private:
    liveness::CallWatch& watch_;
    Handler handler_;
};

class PahoConnection final : public UpstreamConnection {
  public:
    PahoConnection(const std::string& server_uri, const std::string& client_id,
                   UpstreamEvents& events)
        : events_(events),
          callbacks_("upstream callbacks of " + client_id),
          connect_listener_(callbacks_,
                            [this](const mqtt::token& token, bool ok) {
                                ConnectResult result;
                                result.ok = ok;
                                if (!ok) {
                                    // For a CONNACK refusal Paho reports the CONNACK return code
                                    // (1..5).
                                    const int rc = token.get_return_code();
                                    result.connack_code = rc >= 1 && rc <= 5 ? rc : -1;
                                    result.message = mqtt::exception::error_str(rc);
                                }
                                events_.on_connect_result(result);
                            }),
          subscribe_listener_(callbacks_,
                              [this](const mqtt::token& token, bool ok) {
                                  events_.on_subscribe_result(context_tag(token),
                                                              ok && granted(token));
                              }),
          publish_listener_(
              callbacks_,
              [this](const mqtt::token& token, bool ok) {
                  events_.on_publish_result(
                      context_tag(token), ok,
                      ok ? std::string() : mqtt::exception::error_str(token.get_return_code()));
              }),
          disconnect_listener_(callbacks_,
                               [this](const mqtt::token&, bool) { events_.on_disconnected(); }),
          client_(server_uri, client_id, make_create_options(), nullptr) {
        client_.set_connection_lost_handler(
            // Paho does not say who closed it: taken as the hub, as most losses are.
            [this](const std::string& cause) {
                const liveness::CallWatch::Call call(callbacks_);
                events_.on_connection_lost(cause, LossOrigin::Hub);
            });
        // Paho has sent the PUBACK before it hands a message over (c2d_keeper.hpp): a message
        // that could not be kept is lost, and said so.
        client_.set_message_callback([this](mqtt::const_message_ptr message) {
            // Keeping a C2D message waits for the disk (c2d_keeper.hpp): a write that never
            // returns stops the watchdog pings like a stuck loop.
            const liveness::CallWatch::Call call(callbacks_);
            if (!events_.on_message(message->get_topic(), message->to_string())) {
                spdlog::error("upstream: a message on '{}' could not be kept and is lost",
                              message->get_topic());
            }
        });
    }

    ~PahoConnection() override {
        // Stop callbacks first: they refer to this object.
        client_.disable_callbacks();
        try {
            if (client_.is_connected()) {
                client_.disconnect(0)->wait_for(kPahoDisconnectTimeout);
            }
        } catch (const mqtt::exception&) {
            // Going away anyway; the hub notices the closed socket.
        }
    }

    void connect(const ConnectRequest& request) override {
        auto ssl = mqtt::ssl_options_builder()
                       .trust_store(request.tls.ca_file)
                       .enable_server_cert_auth(true)
                       .verify(true)
                       .ssl_version(MQTT_SSL_VERSION_TLS_1_2)
                       .error_handler([](const std::string& message) {
                           spdlog::debug("upstream TLS: {}", message);
                       })
                       .finalize();
        if (!request.tls.cert_file.empty()) {
            ssl.set_key_store(request.tls.cert_file);
            ssl.set_private_key(request.tls.key_file);
        }
        auto options = mqtt::connect_options_builder()
                           .mqtt_version(MQTTVERSION_3_1_1)
                           .clean_session(false)
                           .automatic_reconnect(false)
                           .keep_alive_interval(request.keep_alive)
                           .connect_timeout(request.connect_timeout)
                           .user_name(request.username)
                           .ssl(std::move(ssl))
                           .finalize();
        if (!request.password.empty()) {
            options.set_password(request.password);
        }
        if (!request.http_proxy.empty()) {
            // Paho tunnels ssl:// and wss:// through its "https proxy" setting (still an HTTP
            // CONNECT proxy), which wants "host:port" without the http:// scheme.
            std::string host_port = request.http_proxy;
            if (host_port.starts_with("http://")) {
                host_port.erase(0, 7);
            }
            options.set_http_proxy(request.http_proxy);
            options.set_https_proxy(host_port);
        }
        try {
            client_.connect(options, nullptr, connect_listener_);
        } catch (const mqtt::exception& e) {
            events_.on_connect_result(ConnectResult{false, -1, e.what()});
        }
    }

    void disconnect() override {
        try {
            client_.disconnect(
                static_cast<int>(std::chrono::milliseconds(kPahoDisconnectTimeout).count()),
                nullptr, disconnect_listener_);
        } catch (const mqtt::exception&) {
            // Not connected (or already disconnecting): nothing to wait for.
            events_.on_disconnected();
        }
    }

    void subscribe(const std::vector<std::string>& filters, int qos, uint64_t tag) override {
        auto topics = mqtt::string_collection::create(filters);
        std::vector<int> qos_list(filters.size(), qos);
        try {
            client_.subscribe(topics, qos_list, tag_context(tag), subscribe_listener_);
        } catch (const mqtt::exception&) {
            events_.on_subscribe_result(tag, false);
        }
    }

    void publish(std::string topic, std::string payload, int qos, uint64_t tag) override {
        try {
            client_.publish(topic, payload.data(), payload.size(), qos, false, tag_context(tag),
                            publish_listener_);
        } catch (const mqtt::exception& e) {
            events_.on_publish_result(tag, false, e.what());
        }
    }

  private:
    static mqtt::create_options make_create_options() {
        mqtt::create_options options(MQTTVERSION_3_1_1);
        options.set_max_buffered_messages(kMaxBufferedMessages);
        return options;
    }

    // A SUBACK can grant some filters and refuse others (0x80).
    static bool granted(const mqtt::token& token) {
        try {
            const auto response = token.get_subscribe_response();
            for (const auto code : response.get_reason_codes()) {
                if (static_cast<int>(code) >= 0x80) {
                    return false;
                }
            }
        } catch (const mqtt::exception&) {
            // No SUBACK details for this token: the success callback itself is the answer.
        }
        return true;
    }

    UpstreamEvents& events_;
    // Paho's calls into this connection, watched (thread_heartbeat.hpp); outlives the listeners.
    liveness::CallWatch callbacks_;
    // The listeners are declared before the client so that they outlive it: Paho may still
    // be calling one while the client is being destroyed.
    Listener connect_listener_;
    Listener subscribe_listener_;
    Listener publish_listener_;
    Listener disconnect_listener_;
    mqtt::async_client client_;
};

}  // namespace

std::unique_ptr<UpstreamConnection> PahoUpstreamFactory::create(const std::string& server_uri,
                                                                const std::string& client_id,
                                                                UpstreamEvents& events) {
    // Paho C formats a trace record of every packet into its ring buffer unless told to keep
    // only errors: measured at about 8% of the instructions per forwarded message.
    static const bool quiet_trace = [] {
        MQTTAsync_setTraceLevel(MQTTASYNC_TRACE_ERROR);
        return true;
    }();
    (void)quiet_trace;
    return std::make_unique<PahoConnection>(server_uri, client_id, events);
}

}  // namespace hubgate::transport
