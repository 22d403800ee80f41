#include "gateway/transport/mosquitto_client.hpp"

#include <mosquitto.h>

#include <mutex>

#include "gateway/transport/wakeup_pair_guard.hpp"

namespace hubgate::transport {
namespace {

const char* or_null(const std::string& text) {
    return text.empty() ? nullptr : text.c_str();
}

}  // namespace

void MosquittoDeleter::operator()(mosquitto* client) const {
    mosquitto_destroy(client);
}

void init_mosquitto_library() {
    static std::once_flag initialised;
    std::call_once(initialised, [] { mosquitto_lib_init(); });
}

MosquittoPtr make_mosquitto_client(const LocalLinkOptions& options, void* userdata,
                                   std::string& error) {
    init_mosquitto_library();

    if (options.client_id.empty()) {
        error = "local broker client id must not be empty (the persistent session needs it)";
        return nullptr;
    }
    MosquittoPtr client;
    {
        const WakeupPairGuard no_wakeup_pair;  // the link polls the socket itself
        client.reset(mosquitto_new(options.client_id.c_str(), false, userdata));
    }
    if (!client) {
        error = "cannot create the local broker client (invalid client id?)";
        return nullptr;
    }
    // We drive the socket from our own thread, not mosquitto_loop_start(): this is the mode
    // libmosquitto documents for that, and it keeps PUBACKs queued until loop_write.
    mosquitto_threaded_set(client.get(), true);
    mosquitto_int_option(client.get(), MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
    // The PUBACKs of a batch go out in one write after its commit; with Nagle on, the next
    // batch's write waits for the broker's delayed ACK (up to 40 ms) while the broker holds
    // back further messages for want of those PUBACKs (its inflight window to us is full).
    mosquitto_int_option(client.get(), MOSQ_OPT_TCP_NODELAY, 1);

    if (options.username) {
        const int rc =
            mosquitto_username_pw_set(client.get(), options.username->c_str(),
                                      options.password ? options.password->c_str() : nullptr);
        if (rc != MOSQ_ERR_SUCCESS) {
            error = std::string("local broker username rejected: ") + mosquitto_strerror(rc);
            return nullptr;
        }
    }
    if (options.tls) {
        const LocalTlsOptions& tls = *options.tls;
        if (tls.ca_file.empty() && tls.ca_dir.empty()) {
            error = "local broker TLS needs ca_file or ca_dir";
            return nullptr;
        }
        if (tls.cert_file.empty() != tls.key_file.empty()) {
            error = "local broker TLS client certificate needs both cert_file and key_file";
            return nullptr;
        }
        const int rc = mosquitto_tls_set(client.get(), or_null(tls.ca_file), or_null(tls.ca_dir),
                                         or_null(tls.cert_file), or_null(tls.key_file), nullptr);
        if (rc != MOSQ_ERR_SUCCESS) {
            error = std::string("local broker TLS settings rejected (check the files exist): ") +
                    mosquitto_strerror(rc);
            return nullptr;
        }
    }
    return client;
}

}  // namespace hubgate::transport
