#include <string>

#include "gateway/config/config.hpp"

namespace hubgate::config {

std::string format_diagnostic(const Diagnostic& diagnostic) {
    std::string out = diagnostic.file.string();
    if (diagnostic.line != 0) {
        out += ":" + std::to_string(diagnostic.line) + ":" + std::to_string(diagnostic.col);
    }
    out += ": ";
    if (!diagnostic.key_path.empty())
        out += diagnostic.key_path + ": ";
    out += diagnostic.message;
    return out;
}

std::string Endpoint::to_string() const {
    const bool ipv6 = host.find(':') != std::string::npos;
    return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

SourcePos Config::position_of(const std::string& key_path) const {
    if (auto it = positions.find(key_path); it != positions.end())
        return it->second;
    return SourcePos{source_file, 0, 0};
}

}  // namespace hubgate::config
