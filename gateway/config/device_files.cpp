#include "gateway/config/device_files.hpp"

#include "gateway/config/secret_file.hpp"

namespace hubgate::config {

namespace {

constexpr std::string_view kPlaceholder = "{device}";

}  // namespace

std::optional<std::filesystem::path> device_file_path(std::string_view pattern,
                                                      std::string_view device_id,
                                                      std::string& error) {
    if (device_id == "." || device_id == ".." ||
        device_id.find_first_of(std::string_view("/\0", 2)) != std::string_view::npos) {
        error = "device id \"" + std::string(device_id.substr(0, device_id.find('\0'))) +
                "\" cannot name a file of its own in \"" + std::string(pattern) +
                "\" (\".\", \"..\" and ids with '/' are refused for file lookups)";
        return std::nullopt;
    }
    std::string path(pattern);
    for (auto at = path.find(kPlaceholder); at != std::string::npos;
         at = path.find(kPlaceholder, at + device_id.size())) {
        path.replace(at, kPlaceholder.size(), device_id);
    }
    return std::filesystem::path(std::move(path));
}

std::optional<std::string> read_device_secret(std::string_view pattern, std::string_view device_id,
                                              std::string& error) {
    const auto path = device_file_path(pattern, device_id, error);
    if (!path) {
        return std::nullopt;
    }
    if (auto problem = secret_file_problem(*path)) {
        error = std::move(*problem);
        return std::nullopt;
    }
    auto secret = read_secret_file(*path);
    if (!secret) {
        error = path->string() + " cannot be read";
    }
    return secret;
}

}  // namespace hubgate::config
