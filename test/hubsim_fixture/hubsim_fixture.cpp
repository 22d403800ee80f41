#include "hubsim_fixture/hubsim_fixture.hpp"

#include <netinet/in.h>
#include <openssl/rand.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "hubgate/iothub/sas_token.hpp"
#include "hubsim/cli/service_client.hpp"

namespace hubgate::test {

namespace fs = std::filesystem;

// Ports 0: hubsim picks free ones.
struct HubPorts {
    int mqtts = 0;
    int wss = 0;
    int https = 0;
    int dps = 0;
    int x509 = 0;
    int dps_x509 = 0;
};

namespace {

std::string toml_string(const std::string& text) {
    return json(text).dump();  // a JSON string literal is a valid TOML basic string
}

std::string toml_array(const std::vector<std::string>& items) {
    return json(items).dump();
}

std::string render_config(const std::string& hostname, HubPorts ports,
                          const std::vector<HubsimPolicy>& policies,
                          const std::vector<HubsimDevice>& devices, const std::string& extra) {
    std::ostringstream out;
    out << "[hub]\nhostname = " << toml_string(hostname) << "\n"
        << "mqtts_port = " << ports.mqtts << "\nwss_port = " << ports.wss
        << "\nhttps_port = " << ports.https << "\ndps_port = " << ports.dps
        << "\nx509_port = " << ports.x509 << "\ndps_x509_port = " << ports.dps_x509 << "\n\n";
    for (const auto& p : policies) {
        out << "[[policies]]\nname = " << toml_string(p.name) << "\nkey = " << toml_string(p.key)
            << "\nrights = " << toml_array(p.rights) << "\n\n";
    }
    for (const auto& d : devices) {
        out << "[[devices]]\nid = " << toml_string(d.id)
            << "\nprimary_key = " << toml_string(d.primary_key)
            << "\nsecondary_key = " << toml_string(d.secondary_key)
            << "\nstatus = " << toml_string(d.status) << "\n\n";
    }
    out << extra << "\n";
    return out.str();
}

hubsim::cli::ServiceClient client_for(const HubsimFixture& hub, const HubsimPolicy& owner) {
    return hubsim::cli::ServiceClient(hubsim::cli::ServiceEndpoint{
        "127.0.0.1", hub.https_port(), hub.ca_file(), hub.hostname(), owner.name, owner.key});
}

// True when a listener could bind `port` now, as mosquitto does (SO_REUSEADDR, every interface:
// hubsim's WebSocket listener ignores its bind address). Connections of the previous run left in
// TIME_WAIT do not block such a bind; a listener still open (or a stranger on the port) does.
bool port_bindable(int port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return false;
    const int yes = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_ANY);
    const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    return ok;
}

// Waits (bounded) until every port is bindable. The kernel has no notification for a port
// being released: poll at a short interval.
bool wait_ports_bindable(const std::vector<int>& ports,
                         std::chrono::steady_clock::time_point until) {
    for (;;) {
        if (std::all_of(ports.begin(), ports.end(), port_bindable))
            return true;
        if (std::chrono::steady_clock::now() >= until)
            return false;
        std::this_thread::sleep_for(20ms);
    }
}

std::chrono::milliseconds time_left(std::chrono::steady_clock::time_point until) {
    return std::max(0ms, std::chrono::duration_cast<std::chrono::milliseconds>(
                             until - std::chrono::steady_clock::now()));
}

// How often restart() starts hubsim when a port is taken between the check and the bind.
constexpr int kRestartAttempts = 5;

}  // namespace

std::string HubsimFixture::random_key() {
    std::string bytes(32, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), 32) != 1) {
        throw std::runtime_error("RAND_bytes failed");
    }
    return iothub::base64_encode(bytes);
}

HubsimFixture::HubsimFixture(HubsimOptions options)
    : hostname_(options.hostname),
      devices_(std::move(options.devices)),
      policies_(std::move(options.policies)),
      dir_(std::make_unique<ScratchDir>("hubsim-fixture")) {
    for (auto& d : devices_) {
        if (d.primary_key.empty())
            d.primary_key = random_key();
        if (d.secondary_key.empty())
            d.secondary_key = random_key();
    }
    bool has_owner = false;
    for (auto& p : policies_) {
        if (p.key.empty())
            p.key = random_key();
        has_owner = has_owner || p.name == "iothubowner";
    }
    if (!has_owner) {
        policies_.push_back({"iothubowner",
                             random_key(),
                             {"RegistryRead", "RegistryWrite", "ServiceConnect", "DeviceConnect"}});
    }
    extra_toml_ = std::move(options.extra_toml);
    env_ = std::move(options.env);
    binary_ = options.hubsim_binary.empty() ? fs::path(HUBGATE_BIN_DIR) / "hubsim"
                                            : options.hubsim_binary;
    plugin_ =
        options.plugin.empty() ? fs::path(HUBGATE_LIB_DIR) / "hubsim_plugin.so" : options.plugin;
    ready_timeout_ = options.ready_timeout;
    state_dir_ = dir_->path() / "state";
    write_config({});
    std::string why;
    if (!start_once(ready_timeout_, why))
        throw std::runtime_error(why);
}

void HubsimFixture::write_config(const HubPorts& ports) {
    config_file_ = dir_->write("hubsim.toml",
                               render_config(hostname_, ports, policies_, devices_, extra_toml_));
}

bool HubsimFixture::start_once(std::chrono::milliseconds timeout, std::string& why) {
    if (process_)
        earlier_output_ += process_->output();
    process_ = std::make_unique<Process>(
        std::vector<std::string>{binary_.string(), "run", "-c", config_file_.string(),
                                 "--state-dir", state_dir_.string(), "--plugin", plugin_.string()},
        env_);
    if (!process_->wait_for_output("hubsim ready ", timeout)) {
        process_->stop();
        why = "hubsim did not become ready; its output:\n" + process_->output();
        return false;
    }
    static const std::regex ready(
        R"(hubsim ready mqtts=(\d+) wss=(\d+) https=(\d+) ca=(\S+) hostname=(\S+) dps=(\d+) x509=(\d+) dps_x509=(\d+)( hubs=(\S+))?[ \n])");
    std::smatch m;
    // The line may not be complete yet when its start first shows: wait for its end.
    const auto line_start = process_->output().find("hubsim ready ");
    process_->wait_for_output_after(line_start, "\n", 5s);
    const auto full = process_->output();
    if (!std::regex_search(full, m, ready)) {
        process_->stop();
        throw std::runtime_error("hubsim printed an unexpected ready line:\n" + full);
    }
    mqtts_port_ = std::stoi(m[1]);
    wss_port_ = std::stoi(m[2]);
    https_port_ = std::stoi(m[3]);
    ca_file_ = m[4].str();
    dps_port_ = std::stoi(m[6]);
    x509_port_ = std::stoi(m[7]);
    dps_x509_port_ = std::stoi(m[8]);
    extra_hub_ports_.clear();
    if (m[10].matched) {
        // "HOST:PORT,HOST:PORT": the [[hubs]] of extra_toml.
        static const std::regex entry(R"(([^,:]+):(\d+))");
        const auto hubs = m[10].str();
        for (std::sregex_iterator it(hubs.begin(), hubs.end(), entry), end; it != end; ++it)
            extra_hub_ports_[(*it)[1].str()] = std::stoi((*it)[2].str());
    }
    running_ = true;
    return true;
}

void HubsimFixture::stop(std::chrono::milliseconds grace) {
    if (!running_)
        return;
    running_ = false;
    process_->signal(SIGTERM);
    if (!process_->wait_exit(grace))
        process_->stop(0ms);  // SIGKILL to the group
    // The broker shares hubsim's output pipe: once it is closed, the broker is gone too and
    // its listeners are closed.
    if (!process_->wait_output_closed(grace))
        process_->stop(0ms);
}

void HubsimFixture::restart() {
    stop();
    const auto ca_before = read_file(ca_file_);
    const HubPorts ports{mqtts_port_, wss_port_,  https_port_,
                         dps_port_,   x509_port_, dps_x509_port_};
    // The same file, now naming the ports the first run picked.
    write_config(ports);
    const auto deadline = std::chrono::steady_clock::now() + ready_timeout_;
    std::string why;
    // hubsim does not retry configured ports: when one is taken at the moment mosquitto binds
    // it, the start fails, and is tried again here once the port is free.
    for (int attempt = 1;; ++attempt) {
        if (!wait_ports_bindable(
                {ports.mqtts, ports.wss, ports.https, ports.dps, ports.x509, ports.dps_x509},
                deadline)) {
            throw std::runtime_error("hubsim's ports " + std::to_string(ports.mqtts) + ", " +
                                     std::to_string(ports.wss) + ", " +
                                     std::to_string(ports.https) + " did not become free");
        }
        if (start_once(time_left(deadline), why))
            break;
        if (attempt == kRestartAttempts || time_left(deadline) == 0ms)
            throw std::runtime_error("restart: " + why);
    }
    if (mqtts_port_ != ports.mqtts || wss_port_ != ports.wss || https_port_ != ports.https ||
        dps_port_ != ports.dps || x509_port_ != ports.x509 || dps_x509_port_ != ports.dps_x509) {
        throw std::runtime_error("restart: hubsim came back on other ports:\n" +
                                 process_->output());
    }
    // A restarted hub is only useful if clients that trusted the first one still do (hubsim
    // reuses the PKI in its state dir while it is valid for the host name).
    if (read_file(ca_file_) != ca_before) {
        throw std::runtime_error("restart: hubsim generated a new CA (" + ca_file_.string() +
                                 "): clients of the first run would not trust it");
    }
}

HubsimFixture::~HubsimFixture() {
    if (process_)
        process_->stop();
}

const HubsimDevice& HubsimFixture::device(const std::string& id) const {
    for (const auto& d : devices_) {
        if (d.id == id)
            return d;
    }
    throw std::out_of_range("no device '" + id + "' in the hubsim fixture");
}

const HubsimPolicy& HubsimFixture::policy(const std::string& name) const {
    for (const auto& p : policies_) {
        if (p.name == name)
            return p;
    }
    throw std::out_of_range("no policy '" + name + "' in the hubsim fixture");
}

std::string HubsimFixture::device_username(const std::string& id) const {
    return hostname_ + "/" + id + "/?api-version=2021-04-12";
}

std::string HubsimFixture::device_token(const std::string& id, std::chrono::seconds ttl,
                                        const std::optional<std::string>& key) const {
    return iothub::make_sas_token({iothub::device_resource_uri(hostname_, id),
                                   key ? *key : device(id).primary_key, std::nullopt,
                                   iothub::expiry_after(ttl)});
}

int HubsimFixture::extra_hub_port(const std::string& hostname) const {
    const auto found = extra_hub_ports_.find(hostname);
    if (found == extra_hub_ports_.end())
        throw std::runtime_error("hubsim serves no extra hub " + hostname);
    return found->second;
}

std::string HubsimFixture::service_token_for(const std::string& hub_hostname,
                                             std::chrono::seconds ttl,
                                             const std::string& policy_name) const {
    return iothub::make_sas_token(
        {hub_hostname, policy(policy_name).key, policy_name, iothub::expiry_after(ttl)});
}

std::string HubsimFixture::service_token(std::chrono::seconds ttl,
                                         const std::string& policy_name) const {
    return iothub::make_sas_token(
        {hostname_, policy(policy_name).key, policy_name, iothub::expiry_after(ttl)});
}

std::string HubsimFixture::connection_string(const std::string& id) const {
    return "HostName=" + hostname_ + ";DeviceId=" + id +
           ";SharedAccessKey=" + device(id).primary_key +
           ";GatewayHostName=127.0.0.1:" + std::to_string(mqtts_port_);
}

HubsimResponse HubsimFixture::request(const std::string& method, const std::string& path,
                                      const std::optional<json>& body,
                                      const std::optional<std::string>& authorization) const {
    const auto client = client_for(*this, policy("iothubowner"));
    const auto reply =
        client.call(method, path, body ? std::optional(body->dump()) : std::nullopt, authorization);
    HubsimResponse response;
    response.status = reply.status;
    response.content_type = reply.content_type;
    response.text = reply.status == 0 ? reply.error : reply.body;
    if (reply.status != 0 && !reply.body.empty()) {
        response.body = json::parse(reply.body, nullptr, false);
        if (response.body.is_discarded())
            response.body = nullptr;
    }
    return response;
}

HubsimResponse HubsimFixture::get_device(const std::string& id) const {
    return request("GET", "/devices/" + id);
}
HubsimResponse HubsimFixture::put_device(const std::string& id, const json& identity) const {
    return request("PUT", "/devices/" + id, identity);
}
HubsimResponse HubsimFixture::delete_device(const std::string& id) const {
    return request("DELETE", "/devices/" + id);
}
HubsimResponse HubsimFixture::list_devices() const {
    return request("GET", "/devices");
}

HubsimResponse HubsimFixture::get_twin(const std::string& id) const {
    return request("GET", "/twins/" + id);
}
HubsimResponse HubsimFixture::patch_twin(const std::string& id, const json& patch) const {
    return request("PATCH", "/twins/" + id, patch);
}
HubsimResponse HubsimFixture::replace_twin(const std::string& id, const json& twin) const {
    return request("PUT", "/twins/" + id, twin);
}

HubsimResponse HubsimFixture::invoke_method(const std::string& id, const std::string& method,
                                            const json& payload, int timeout_seconds) const {
    return request("POST", "/twins/" + id + "/methods",
                   json{{"methodName", method},
                        {"payload", payload},
                        {"responseTimeoutInSeconds", timeout_seconds}});
}

HubsimResponse HubsimFixture::send_c2d(const std::string& id, const HubsimC2d& message) const {
    json body{{"payload", message.payload}, {"properties", message.properties}};
    if (message.message_id)
        body["messageId"] = *message.message_id;
    if (message.correlation_id)
        body["correlationId"] = *message.correlation_id;
    if (message.ttl_seconds)
        body["ttlSeconds"] = *message.ttl_seconds;
    return request("POST", "/hubsim/devices/" + id + "/messages", body);
}

HubsimResponse HubsimFixture::c2d_state(const std::string& id) const {
    return request("GET", "/hubsim/devices/" + id + "/messages");
}

HubsimResponse HubsimFixture::telemetry(uint64_t after, std::chrono::seconds wait,
                                        const std::optional<std::string>& device_id) const {
    std::string path = "/hubsim/telemetry?after=" + std::to_string(after) +
                       "&wait=" + std::to_string(wait.count());
    if (device_id)
        path += "&device=" + iothub::url_encode(*device_id);
    return request("GET", path);
}

std::vector<json> HubsimFixture::wait_for_telemetry(const std::string& device_id, size_t count,
                                                    std::chrono::milliseconds timeout,
                                                    uint64_t after) const {
    std::vector<json> seen;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    const std::optional<std::string> filter =
        device_id.empty() ? std::nullopt : std::optional(device_id);
    while (seen.size() < count) {
        const auto left = std::chrono::duration_cast<std::chrono::seconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() < 0)
            break;
        // Long-poll in slices of at most 5 s (whole seconds, at least 1).
        const auto wait = std::clamp(left, std::chrono::seconds(1), std::chrono::seconds(5));
        const auto reply = telemetry(after, wait, filter);
        if (reply.status != 200 || !reply.body.is_object())
            break;
        for (const auto& message : reply.body.value("messages", json::array())) {
            seen.push_back(message);
            after = std::max(after, message.value("sequence", after));
        }
        if (std::chrono::steady_clock::now() >= deadline)
            break;
    }
    return seen;
}

HubsimResponse HubsimFixture::connections() const {
    return request("GET", "/hubsim/connections");
}

bool HubsimFixture::wait_for_connected(const std::string& device_id, bool connected,
                                       std::chrono::milliseconds timeout) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        const auto reply = connections();
        if (reply.status == 200) {
            for (const auto& d : reply.body.value("devices", json::array())) {
                if (d.value("deviceId", "") == device_id &&
                    d.value("connected", false) == connected) {
                    return true;
                }
            }
            if (!connected) {
                bool listed = false;
                for (const auto& d : reply.body.value("devices", json::array())) {
                    listed = listed || d.value("deviceId", "") == device_id;
                }
                if (!listed)
                    return true;
            }
        }
        if (std::chrono::steady_clock::now() >= deadline)
            return false;
        // The API has no change notification for connections: poll at a short, bounded interval.
        std::this_thread::sleep_for(20ms);
    }
}

HubsimResponse HubsimFixture::kick(const std::string& id) const {
    return request("POST", "/hubsim/devices/" + id + "/kick");
}
HubsimResponse HubsimFixture::set_faults(const json& faults) const {
    return request("PUT", "/hubsim/faults", faults);
}
HubsimResponse HubsimFixture::faults() const {
    return request("GET", "/hubsim/faults");
}

}  // namespace hubgate::test
