#include "gateway/core/dead_letter.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <chrono>
#include <system_error>

#include <nlohmann/json.hpp>

#include "gateway/core/atomic_file.hpp"
#include "hubgate/iothub/encoding.hpp"

namespace hubgate::core {

namespace {

// The payload as JSON text when it is valid UTF-8 (most legacy payloads are), else base64.
void put_payload(nlohmann::json& document, std::string_view payload) {
    nlohmann::json text = std::string(payload);
    try {
        (void)text.dump();  // throws on invalid UTF-8
        document["payload"] = std::move(text);
    } catch (const nlohmann::json::exception&) {
        document["payload_base64"] = iothub::base64_encode(payload);
    }
}

}  // namespace

bool DeadLetters::keep(const HookedMessage& message, const CrashRecord& crash,
                       std::filesystem::path& path, std::string& error) const {
    path = dir_ / fmt::format("{:016x}.json", crash.digest);
    std::error_code ec;
    if (std::filesystem::exists(path, ec)) {
        return true;  // the same topic and payload (same digest): kept already
    }
    std::filesystem::create_directories(dir_, ec);
    if (ec) {
        error = "cannot create " + dir_.string() + ": " + ec.message();
        return false;
    }
    nlohmann::json document{
        {"direction", message.downlink() ? "downlink" : "uplink"},
        {"kind", std::string(message.kind)},
        {"topic", nlohmann::json(std::string(message.topic))},
        {"plugin", crash.plugin},
        {"hook", crash.hook},
        {"crashes", crash.crashes},
        {"digest", fmt::format("{:016x}", crash.digest)},
        {"dead_lettered_at",
         fmt::format("{:%FT%TZ}", fmt::gmtime(std::chrono::system_clock::to_time_t(
                                      std::chrono::system_clock::now())))},
    };
    if (message.downlink()) {
        document["device_id"] = std::string(message.device_id);
    }
    put_payload(document, message.payload);
    return replace_file_atomically(
        path, document.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n", error);
}

}  // namespace hubgate::core
