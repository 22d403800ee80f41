// Starting the plugin-loaded broker and talking to its service API.
#include "plugin_broker.hpp"

#include <httplib.h>

#include <doctest/doctest.h>

#include <random>
#include <stdexcept>
#include <thread>

#include "harness/ports.hpp"
#include "hubgate/iothub/sas_token.hpp"

namespace hubsim::test {

namespace {

using namespace std::chrono_literals;

std::string random_key() {
    std::random_device random;
    std::string bytes(32, '\0');
    for (auto& byte : bytes)
        byte = static_cast<char>(random() & 0xFF);
    return hubgate::iothub::base64_encode(bytes);
}

void openssl(const std::vector<std::string>& args) {
    std::vector<std::string> argv{OPENSSL_EXECUTABLE};
    argv.insert(argv.end(), args.begin(), args.end());
    auto result = hubgate::test::run(argv, 60s);
    if (result.status != 0)
        throw std::runtime_error("openssl failed: " + result.output);
}

}  // namespace

PluginBroker::PluginBroker(Options options)
    : dev1_key_(random_key()),
      dev2_key_(random_key()),
      secondary_key_(random_key()),
      policy_key_(random_key()) {
    auto dir = dir_.path().string();
    ca_file_ = dir + "/ca.pem";
    dir_.write("ext.cnf", "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
    openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", dir + "/ca.key", "-out", ca_file_, "-days", "2", "-subj",
             "/CN=hubsim plugin test CA"});
    openssl({"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", dir + "/server.key", "-out", dir + "/server.csr", "-subj",
             "/CN=localhost"});
    openssl({"x509", "-req", "-in", dir + "/server.csr", "-CA", ca_file_, "-CAkey", dir + "/ca.key",
             "-CAcreateserial", "-out", dir + "/server.pem", "-days", "2", "-extfile",
             dir + "/ext.cnf"});
    std::string x509_device;
    if (options.x509_listener) {
        openssl({"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                 "-keyout", device_cert_key(), "-out", dir + "/x509dev.csr", "-subj",
                 "/CN=x509dev"});
        openssl({"x509", "-req", "-in", dir + "/x509dev.csr", "-CA", ca_file_, "-CAkey",
                 dir + "/ca.key", "-CAcreateserial", "-out", device_cert(), "-days", "2"});
        auto fingerprint = hubgate::test::run(
            {OPENSSL_EXECUTABLE, "x509", "-in", device_cert(), "-noout", "-fingerprint", "-sha1"},
            60s);
        auto eq = fingerprint.output.find('=');
        if (fingerprint.status != 0 || eq == std::string::npos)
            throw std::runtime_error("fingerprint failed");
        auto thumbprint = fingerprint.output.substr(eq + 1);
        thumbprint.erase(thumbprint.find_last_not_of("\r\n") + 1);
        x509_device = "[[devices]]\nid = \"x509dev\"\nx509_thumbprint = \"" + thumbprint + "\"\n";
    }
    auto config =
        dir_.write("hub.toml", std::string("[hub]\nhostname = \"") + kHostname + "\"\n" +
                                   "[[policies]]\nname = \"iothubowner\"\nkey = \"" + policy_key_ +
                                   "\"\nrights = [\"RegistryRead\", \"RegistryWrite\", "
                                   "\"ServiceConnect\", \"DeviceConnect\"]\n"
                                   "[[policies]]\nname = \"device\"\nkey = \"" +
                                   policy_key_ +
                                   "\"\nrights = [\"DeviceConnect\"]\n"
                                   "[[policies]]\nname = \"reader\"\nkey = \"" +
                                   policy_key_ +
                                   "\"\nrights = [\"RegistryRead\"]\n"
                                   "[[devices]]\nid = \"dev1\"\nprimary_key = \"" +
                                   dev1_key_ + "\"\nsecondary_key = \"" + secondary_key_ +
                                   "\"\n"
                                   "[[devices]]\nid = \"dev2\"\nprimary_key = \"" +
                                   dev2_key_ +
                                   "\"\n"
                                   "[[devices]]\nid = \"off1\"\nprimary_key = \"" +
                                   dev1_key_ + "\"\nstatus = \"disabled\"\n" + x509_device);
    mqtt_port_ = hubgate::test::free_tcp_port();
    https_port_ = hubgate::test::free_tcp_port();
    std::string conf =
        "user root\nper_listener_settings false\nallow_anonymous false\n"
        "persistence false\nmax_queued_messages 0\nset_tcp_nodelay true\nlog_dest stderr\n"
        "log_type error\nlog_type warning\nlog_type notice\nlog_type information\n"
        "listener " +
        std::to_string(mqtt_port_) +
        " 127.0.0.1\n"
        "certfile " +
        dir + "/server.pem\nkeyfile " + dir + "/server.key\n";
    if (options.max_qos_1)
        conf += "max_qos 1\n";
    if (options.x509_listener) {
        // Client certificates reach the plugin only where mosquitto asks for them.
        x509_port_ = hubgate::test::free_tcp_port();
        conf += "listener " + std::to_string(x509_port_) + " 127.0.0.1\ncertfile " + dir +
                "/server.pem\nkeyfile " + dir + "/server.key\ncafile " + ca_file_ +
                "\nrequire_certificate true\nmax_qos 1\n";
    }
    conf += std::string("plugin ") + HUBGATE_LIB_DIR + "/hubsim_plugin.so\n" +
            "plugin_opt_config " + config.string() + "\n" + "plugin_opt_state_dir " + dir + "\n" +
            "plugin_opt_https_port " + std::to_string(https_port_) + "\n" +
            "plugin_opt_https_bind 127.0.0.1\n" + "plugin_opt_https_cert " + dir + "/server.pem\n" +
            "plugin_opt_https_key " + dir + "/server.key\n";
    auto conf_path = dir_.write("mosquitto.conf", conf);
    broker_ = std::make_unique<hubgate::test::Process>(
        std::vector<std::string>{MOSQUITTO_EXECUTABLE, "-c", conf_path.string()});
    if (!hubgate::test::wait_for_port(mqtt_port_, 20s) ||
        !hubgate::test::wait_for_port(https_port_, 20s) ||
        (x509_port_ != 0 && !hubgate::test::wait_for_port(x509_port_, 20s))) {
        throw std::runtime_error("broker did not start: " + broker_->output());
    }
}

std::string PluginBroker::device_key(const std::string& id) const {
    return id == "dev2" ? dev2_key_ : dev1_key_;
}
std::string PluginBroker::secondary_key() const {
    return secondary_key_;
}
std::string PluginBroker::policy_key() const {
    return policy_key_;
}

std::string PluginBroker::username(const std::string& id) {
    return std::string(kHostname) + "/" + id + "/?api-version=2021-04-12";
}

std::string PluginBroker::token(const std::string& id, std::chrono::seconds ttl,
                                std::optional<std::string> key, std::optional<std::string> policy,
                                std::optional<std::string> resource) const {
    return hubgate::iothub::make_sas_token(
        {resource.value_or(hubgate::iothub::device_resource_uri(kHostname, id)),
         key.value_or(device_key(id)), policy, hubgate::iothub::expiry_after(ttl)});
}

std::unique_ptr<RawMqttClient> PluginBroker::connect_device(const std::string& id,
                                                            bool clean_session) {
    auto client = std::make_unique<RawMqttClient>(mqtt_port_, ca_file_);
    auto code = client->connect(id, username(id), token(id), clean_session);
    REQUIRE(code == std::optional<int>(0));
    return client;
}

std::unique_ptr<RawMqttClient> PluginBroker::subscribed_device(
    const std::string& id, const std::vector<std::string>& filters, bool clean_session) {
    auto client = connect_device(id, clean_session);
    std::vector<std::pair<std::string, int>> request;
    for (const auto& filter : filters)
        request.emplace_back(filter, 1);
    auto granted = client->subscribe(request);
    REQUIRE(granted.size() == filters.size());
    for (int code : granted)
        REQUIRE(code <= 1);
    return client;
}

ServiceReply PluginBroker::call(const std::string& method, const std::string& given_path,
                                const json& body) const {
    // IoT Hub's routes need an api-version, as on the real hub; tests may name their own.
    const std::string path =
        given_path.find("api-version=") != std::string::npos || given_path.starts_with("/hubsim/")
            ? given_path
            : given_path + (given_path.find('?') == std::string::npos ? "?" : "&") +
                  "api-version=2021-04-12";
    httplib::SSLClient client("127.0.0.1", https_port_);
    client.set_ca_cert_path(ca_file_.c_str());
    client.enable_server_certificate_verification(true);
    client.set_read_timeout(std::chrono::seconds(60));
    std::string auth =
        hubgate::iothub::make_sas_token({kHostname, policy_key_, std::string("iothubowner"),
                                         hubgate::iothub::expiry_after(std::chrono::hours(1))});
    httplib::Headers headers{{"Authorization", auth}};
    std::string text = body.is_null() ? "" : body.dump();
    auto send = [&]() -> httplib::Result {
        if (method == "GET")
            return client.Get(path.c_str(), headers);
        if (method == "POST")
            return client.Post(path.c_str(), headers, text, "application/json");
        if (method == "PUT")
            return client.Put(path.c_str(), headers, text, "application/json");
        if (method == "PATCH")
            return client.Patch(path.c_str(), headers, text, "application/json");
        return client.Delete(path.c_str(), headers);
    };
    auto result = send();
    if (!result)
        throw std::runtime_error("service call failed: " + method + " " + path);
    ServiceReply reply;
    reply.status = result->status;
    reply.content_type = result->get_header_value("Content-Type");
    reply.body = result->body.empty() ? json() : json::parse(result->body, nullptr, false);
    return reply;
}

size_t PluginBroker::log_size() const {
    return call("GET", "/hubsim/connections").body["log"].size();
}

json PluginBroker::last_event(const std::string& device, const std::string& event) const {
    auto log = call("GET", "/hubsim/connections").body["log"];
    json found;
    for (const auto& entry : log) {
        if (entry["deviceId"] == device && entry["event"] == event)
            found = entry;
    }
    return found;
}

bool PluginBroker::wait_for_event(const std::string& device, const std::string& event,
                                  std::chrono::milliseconds timeout, size_t from) const {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        auto log = call("GET", "/hubsim/connections").body["log"];
        for (size_t i = from; i < log.size(); ++i) {
            if (log[i]["deviceId"] == device && log[i]["event"] == event)
                return true;
        }
        // The log has no long poll: re-read it shortly (bounded by the deadline).
        std::this_thread::sleep_for(20ms);
    }
    return false;
}

}  // namespace hubsim::test
