#include "hubsim/cli/state_file.hpp"

#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace hubsim::cli {

namespace fs = std::filesystem;
using nlohmann::json;

fs::path state_file_path(const fs::path& state_dir) {
    return state_dir / "ports.json";
}

void write_state_file(const fs::path& state_dir, const RunningHub& hub) {
    json doc{
        {"mqtts", hub.mqtts_port},    {"wss", hub.wss_port},      {"https", hub.https_port},
        {"ca", hub.ca_file.string()}, {"hostname", hub.hostname}, {"pid", hub.pid},
        {"dps", hub.dps_port},        {"x509", hub.x509_port},    {"dps_x509", hub.dps_x509_port}};
    for (const auto& [hostname, port] : hub.extra_hubs)
        doc["hubs"].push_back(json{{"hostname", hostname}, {"mqtts", port}});
    const auto target = state_file_path(state_dir);
    const auto temporary = fs::path(target.string() + ".tmp");
    {
        std::ofstream out(temporary, std::ios::trunc);
        out << doc.dump(2) << "\n";
        if (!out)
            throw std::runtime_error("cannot write " + temporary.string());
    }
    fs::rename(temporary, target);
}

std::optional<RunningHub> read_state_file(const fs::path& state_dir) {
    std::ifstream in(state_file_path(state_dir));
    if (!in)
        return std::nullopt;
    const auto doc = json::parse(in, nullptr, false);
    if (doc.is_discarded() || !doc.is_object())
        return std::nullopt;
    try {
        RunningHub hub{doc.at("mqtts").get<int>(),
                       doc.at("wss").get<int>(),
                       doc.at("https").get<int>(),
                       doc.at("ca").get<std::string>(),
                       doc.at("hostname").get<std::string>(),
                       doc.at("pid").get<long>(),
                       doc.value("dps", 0),
                       doc.value("x509", 0),
                       doc.value("dps_x509", 0)};
        for (const auto& extra : doc.value("hubs", json::array()))
            hub.extra_hubs.emplace_back(extra.at("hostname").get<std::string>(),
                                        extra.at("mqtts").get<int>());
        return hub;
    } catch (const json::exception&) {
        return std::nullopt;
    }
}

}  // namespace hubsim::cli
