// mosquitto 2.0 plugin entry points: reads plugin_opt_* options, builds the Hub, registers the
// event callbacks and starts the HTTPS service API. No exception crosses into mosquitto.
#include <openssl/x509.h>

#include <strings.h>

#include <cstring>
#include <exception>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

extern "C" {
#include <mosquitto.h>
#include <mosquitto_broker.h>
#include <mosquitto_plugin.h>
#include <mqtt_protocol.h>
}

#include "hubsim/common/client_certificate.hpp"
#include "hubsim/common/hub_service.hpp"
#include "hubsim/common/trust_dir.hpp"
#include "hubsim/plugin/dps.hpp"
#include "hubsim/plugin/hub.hpp"

namespace {

using hubsim::Verdict;

// BrokerActions with mosquitto's plugin functions (broker thread only).
class MosquittoBroker final : public hubsim::BrokerActions {
  public:
    void publish(const std::string& client_id, const std::string& topic, const std::string& payload,
                 int qos, std::optional<uint32_t> expiry_seconds) override {
        mosquitto_property* properties = nullptr;
        if (expiry_seconds) {
            // mosquitto honours the expiry interval for any client's queued messages.
            mosquitto_property_add_int32(&properties, MQTT_PROP_MESSAGE_EXPIRY_INTERVAL,
                                         *expiry_seconds);
        }
        int rc = mosquitto_broker_publish_copy(client_id.c_str(), topic.c_str(),
                                               static_cast<int>(payload.size()), payload.data(),
                                               qos, false, properties);
        if (rc != MOSQ_ERR_SUCCESS) {
            mosquitto_property_free_all(&properties);
            mosquitto_log_printf(MOSQ_LOG_WARNING, "hubsim: publish to %s failed: %s",
                                 client_id.c_str(), mosquitto_strerror(rc));
        }
    }
    void kick(const std::string& client_id) override {
        mosquitto_kick_client_by_clientid(client_id.c_str(), false);
    }
};

// Everything the plugin owns between init and cleanup.
struct PluginState {
    mosquitto_plugin_id_t* identifier = nullptr;
    MosquittoBroker broker;
    std::unique_ptr<hubsim::BrokerTasks> tasks;
    std::unique_ptr<hubsim::Hub> hub;  // [hub]: the default for anything not another hub's
    std::vector<std::unique_ptr<hubsim::Hub>> extra_hubs;  // [[hubs]]
    // The hub each accepted device connection belongs to (every hub when several serve).
    std::map<const void*, hubsim::Hub*> hub_of_connection;
    std::unique_ptr<hubsim::Dps> dps;  // clients that CONNECT with a DPS username
    std::unique_ptr<hubsim::ServiceApi> service;
    std::unique_ptr<hubsim::RegisteredCas> cas;  // [[certificate_authorities]]

    // The hub a device CONNECT is for: the one its username's host name names (mosquitto 2.0
    // does not tell a plugin the listener), else [hub], which refuses a host name not its own.
    hubsim::Hub& hub_for_username(const std::string& username) {
        const auto hostname = username.substr(0, username.find('/'));
        for (auto& extra : extra_hubs) {
            if (strcasecmp(extra->hostname().c_str(), hostname.c_str()) == 0)
                return *extra;
        }
        return *hub;
    }
    hubsim::Hub& hub_of(const void* connection) {
        if (extra_hubs.empty())
            return *hub;
        const auto found = hub_of_connection.find(connection);
        return found == hub_of_connection.end() ? *hub : *found->second;
    }
};

std::string client_id_of(const mosquitto* client) {
    const char* id = mosquitto_client_id(client);
    return id ? id : "";
}

// Runs `body`, turning any exception into `failure` (and a log line) at the C boundary.
template <typename Body>
int guarded(const char* what, int failure, Body&& body) {
    try {
        return body();
    } catch (const std::exception& error) {
        mosquitto_log_printf(MOSQ_LOG_ERR, "hubsim: %s failed: %s", what, error.what());
    } catch (...) {
        mosquitto_log_printf(MOSQ_LOG_ERR, "hubsim: %s failed", what);
    }
    return failure;
}

int on_basic_auth(int, void* event_data, void* userdata) {
    auto* event = static_cast<mosquitto_evt_basic_auth*>(event_data);
    auto* state = static_cast<PluginState*>(userdata);
    return guarded("CONNECT check", MOSQ_ERR_AUTH, [&]() -> int {
        hubsim::ConnectAttempt attempt;
        attempt.client_id = client_id_of(event->client);
        attempt.username = event->username ? event->username : "";
        if (event->password)
            attempt.password = event->password;
        // Only a listener with require_certificate passes a client certificate on.
        if (auto* certificate = static_cast<X509*>(mosquitto_client_certificate(event->client))) {
            auto described = hubsim::describe_client_certificate(certificate, *state->cas);
            attempt.client_certificate_pem = hubsim::certificate_pem(certificate);
            X509_free(certificate);
            attempt.client_thumbprint_sha1 = std::move(described.thumbprint_sha1);
            attempt.client_thumbprint_sha256 = std::move(described.thumbprint_sha256);
            attempt.client_common_name = std::move(described.common_name);
            attempt.client_issued_by_registered_ca = described.issued_by_registered_ca;
        }
        bool clean = mosquitto_client_clean_session(event->client);
        if (mosquitto_client_protocol_version(event->client) != 4) {
            return MOSQ_ERR_AUTH;  // the hub speaks MQTT 3.1.1 only
        }
        // The DPS listener has use_username_as_clientid: there the client id is the username.
        const bool on_dps_listener =
            !attempt.username.empty() && attempt.client_id == attempt.username;
        if (on_dps_listener || hubsim::Dps::is_dps_username(attempt.username)) {
            return state->dps->on_connect(event->client, attempt, on_dps_listener)
                       ? MOSQ_ERR_SUCCESS
                       : MOSQ_ERR_AUTH;
        }
        auto& hub = state->hub_for_username(attempt.username);
        if (!hub.on_connect(event->client, attempt, clean))
            return MOSQ_ERR_AUTH;
        if (!state->extra_hubs.empty())
            state->hub_of_connection[event->client] = &hub;
        return MOSQ_ERR_SUCCESS;
    });
}

// ACL decisions for a DPS connection.
int dps_acl_check(hubsim::Dps& dps, const mosquitto_evt_acl_check& event, std::string_view topic) {
    switch (event.access) {
        case MOSQ_ACL_SUBSCRIBE:
            return dps.on_subscribe(event.client, std::string(topic)) == Verdict::allow
                       ? MOSQ_ERR_SUCCESS
                       : MOSQ_ERR_ACL_DENIED;
        case MOSQ_ACL_UNSUBSCRIBE:
            return MOSQ_ERR_SUCCESS;
        case MOSQ_ACL_WRITE:
            // Any error other than ACL_DENIED makes mosquitto close the connection.
            return dps.on_publish_check(event.client, topic, event.payloadlen, event.qos) ==
                           Verdict::allow
                       ? MOSQ_ERR_SUCCESS
                       : MOSQ_ERR_PROTOCOL;
        case MOSQ_ACL_READ:
            return topic.starts_with("$dps/registrations/res/") ? MOSQ_ERR_SUCCESS
                                                                : MOSQ_ERR_ACL_DENIED;
        default:
            return MOSQ_ERR_ACL_DENIED;
    }
}

int on_acl_check(int, void* event_data, void* userdata) {
    auto* event = static_cast<mosquitto_evt_acl_check*>(event_data);
    auto* state = static_cast<PluginState*>(userdata);
    return guarded("ACL check", MOSQ_ERR_ACL_DENIED, [&]() -> int {
        std::string id = client_id_of(event->client);
        std::string_view topic = event->topic ? event->topic : "";
        if (state->dps->owns(event->client))
            return dps_acl_check(*state->dps, *event, topic);
        auto& hub = state->hub_of(event->client);
        switch (event->access) {
            case MOSQ_ACL_SUBSCRIBE:
                return hub.on_subscribe(id, std::string(topic)) == Verdict::allow
                           ? MOSQ_ERR_SUCCESS
                           : MOSQ_ERR_ACL_DENIED;
            case MOSQ_ACL_UNSUBSCRIBE:
                hub.on_unsubscribe(id, std::string(topic));
                return MOSQ_ERR_SUCCESS;
            case MOSQ_ACL_WRITE: {
                auto verdict = hub.on_publish_check(id, topic, event->payloadlen, event->qos);
                // Any error other than ACL_DENIED makes mosquitto close the connection.
                if (verdict == Verdict::allow)
                    return MOSQ_ERR_SUCCESS;
                return verdict == Verdict::deny ? MOSQ_ERR_ACL_DENIED : MOSQ_ERR_PROTOCOL;
            }
            case MOSQ_ACL_READ:
                return hub.on_deliver_check(id, topic) ? MOSQ_ERR_SUCCESS : MOSQ_ERR_ACL_DENIED;
            default:
                return MOSQ_ERR_ACL_DENIED;
        }
    });
}

int on_message(int, void* event_data, void* userdata) {
    auto* event = static_cast<mosquitto_evt_message*>(event_data);
    auto* state = static_cast<PluginState*>(userdata);
    return guarded("message", MOSQ_ERR_SUCCESS, [&]() -> int {
        std::string_view payload(static_cast<const char*>(event->payload), event->payloadlen);
        if (state->dps->owns(event->client)) {
            state->dps->on_message(event->client, event->topic ? event->topic : "", payload);
            return MOSQ_ERR_SUCCESS;
        }
        state->hub_of(event->client)
            .on_message(client_id_of(event->client), event->topic ? event->topic : "", payload,
                        event->retain);
        event->retain = false;  // the hub never retains; telemetry records x-opt-retain instead
        return MOSQ_ERR_SUCCESS;
    });
}

int on_tick(int, void*, void* userdata) {
    auto* state = static_cast<PluginState*>(userdata);
    return guarded("tick", MOSQ_ERR_SUCCESS, [&]() -> int {
        state->hub->on_tick();
        for (auto& extra : state->extra_hubs)
            extra->on_tick();
        return MOSQ_ERR_SUCCESS;
    });
}

int on_disconnect(int, void* event_data, void* userdata) {
    auto* event = static_cast<mosquitto_evt_disconnect*>(event_data);
    auto* state = static_cast<PluginState*>(userdata);
    return guarded("disconnect", MOSQ_ERR_SUCCESS, [&]() -> int {
        if (state->dps->owns(event->client)) {
            state->dps->on_disconnect(event->client);
            return MOSQ_ERR_SUCCESS;
        }
        std::string id = client_id_of(event->client);
        if (!id.empty())
            state->hub_of(event->client).on_disconnect(event->client, id);
        state->hub_of_connection.erase(event->client);
        return MOSQ_ERR_SUCCESS;
    });
}

struct Registration {
    int event;
    MOSQ_FUNC_generic_callback callback;
};
constexpr Registration kCallbacks[] = {
    {MOSQ_EVT_BASIC_AUTH, on_basic_auth}, {MOSQ_EVT_ACL_CHECK, on_acl_check},
    {MOSQ_EVT_MESSAGE, on_message},       {MOSQ_EVT_TICK, on_tick},
    {MOSQ_EVT_DISCONNECT, on_disconnect},
};

std::optional<std::string> option(mosquitto_opt* options, int count, const char* name) {
    for (int i = 0; i < count; ++i) {
        if (options[i].key && std::strcmp(options[i].key, name) == 0 && options[i].value) {
            return std::string(options[i].value);
        }
    }
    return std::nullopt;
}

#ifdef HUBSIM_WITH_SERVICE_API
std::unique_ptr<hubsim::ServiceApi> start_service(hubsim::HubService& hub, hubsim::DpsService& dps,
                                                  std::vector<hubsim::HubService*> extra_hubs,
                                                  mosquitto_opt* options, int count) {
    auto port = option(options, count, "https_port");
    if (!port)
        return nullptr;
    hubsim::ServiceApiOptions api;
    api.port = std::stoi(*port);
    api.bind = option(options, count, "https_bind").value_or("127.0.0.1");
    api.cert_file = option(options, count, "https_cert").value_or("");
    api.key_file = option(options, count, "https_key").value_or("");
    api.dps = &dps;
    api.extra_hubs = std::move(extra_hubs);
    return hubsim::start_service_api(hub, api);
}
#else
std::unique_ptr<hubsim::ServiceApi> start_service(hubsim::HubService&, hubsim::DpsService&,
                                                  std::vector<hubsim::HubService*>, mosquitto_opt*,
                                                  int) {
    return nullptr;
}
#endif

}  // namespace

extern "C" {

int mosquitto_plugin_version(int supported_version_count, const int* supported_versions) {
    for (int i = 0; i < supported_version_count; ++i) {
        if (supported_versions[i] == 5)
            return 5;
    }
    return -1;
}

int mosquitto_plugin_init(mosquitto_plugin_id_t* identifier, void** userdata,
                          struct mosquitto_opt* options, int option_count) {
    return guarded("init", MOSQ_ERR_UNKNOWN, [&]() -> int {
        auto config_path = option(options, option_count, "config");
        if (!config_path) {
            mosquitto_log_printf(MOSQ_LOG_ERR,
                                 "hubsim: plugin_opt_config <hubsim.toml> is required");
            return MOSQ_ERR_INVAL;
        }
        auto state = std::make_unique<PluginState>();
        state->identifier = identifier;
        state->tasks = std::make_unique<hubsim::BrokerTasks>();
        auto config = hubsim::load_hub_config(*config_path);
        std::vector<std::string> ca_files;
        for (const auto& ca : config.certificate_authorities)
            ca_files.push_back(ca.file);
        state->cas = std::make_unique<hubsim::RegisteredCas>(ca_files);
        // A device an X.509 enrollment group provisions is a certificateAuthority device of
        // the hub: the group's signing certificate is one of the hub's CAs too.
        for (const auto& group : config.dps.enrollment_groups) {
            if (group.x509())
                state->cas->add_pem(group.signing_certificate);
        }
        auto dps_config = config.dps;
        std::vector<hubsim::HubService*> extra_services;
        for (size_t i = 0; i < config.extra_hubs.size(); ++i) {
            state->extra_hubs.push_back(
                std::make_unique<hubsim::Hub>(config.extra_hub(i), state->broker, *state->tasks));
            extra_services.push_back(state->extra_hubs.back().get());
        }
        state->hub = std::make_unique<hubsim::Hub>(std::move(config), state->broker, *state->tasks);
        state->dps =
            std::make_unique<hubsim::Dps>(std::move(dps_config), *state->hub, state->broker);
        const auto state_dir = option(options, option_count, "state_dir");
        state->dps->set_certificate_trust([cas = state->cas.get(),
                                           state_dir](const std::string& pem) {
            cas->add_pem(pem);
            // The listeners' trust folder (`hubsim run` names it after the state folder).
            if (state_dir)
                hubsim::add_to_trust_dir(std::filesystem::path(*state_dir) / "client-trust", pem);
        });
        for (auto* extra : extra_services)
            state->dps->add_hub(*extra);
        for (const auto& registration : kCallbacks) {
            int rc = mosquitto_callback_register(identifier, registration.event,
                                                 registration.callback, nullptr, state.get());
            if (rc != MOSQ_ERR_SUCCESS) {
                mosquitto_log_printf(MOSQ_LOG_ERR, "hubsim: cannot register callback %d",
                                     registration.event);
                return rc;
            }
        }
        state->service =
            start_service(*state->hub, *state->dps, extra_services, options, option_count);
        mosquitto_log_printf(MOSQ_LOG_INFO, "hubsim: plugin ready, hub %s",
                             state->hub->hostname().c_str());
        *userdata = state.release();
        return MOSQ_ERR_SUCCESS;
    });
}

int mosquitto_plugin_cleanup(void* userdata, struct mosquitto_opt*, int) {
    auto* state = static_cast<PluginState*>(userdata);
    if (state == nullptr)
        return MOSQ_ERR_SUCCESS;
    return guarded("cleanup", MOSQ_ERR_UNKNOWN, [&]() -> int {
        for (const auto& registration : kCallbacks) {
            mosquitto_callback_unregister(state->identifier, registration.event,
                                          registration.callback, nullptr);
        }
        // Waiters first, so the service threads can be joined without waiting for timeouts.
        state->tasks->shut_down();
        state->hub->shut_down();
        for (auto& extra : state->extra_hubs)
            extra->shut_down();
        state->service.reset();
        delete state;
        return MOSQ_ERR_SUCCESS;
    });
}

}  // extern "C"
