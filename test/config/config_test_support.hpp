#pragma once
// Shared helpers for the config loader tests: a minimal valid config and assertions on
// diagnostics.

#include <doctest/doctest.h>

#include <string>

#include "gateway/config/config.hpp"
#include "harness/scratch_dir.hpp"

namespace hubgate::test {

// Valid on its own: x509 patterns are not opened at load time, so no secret files are needed.
inline const std::string kMinimalConfig = R"([hub]
hostname = "myhub.azure-devices.net"

[auth]
mode = "x509"
cert_file = "certs/{device}.pem"
cert_key_file = "certs/{device}.key"
)";

// 1-based number of the first line of `text` that contains `needle`.
inline uint32_t line_of(const std::string& text, const std::string& needle) {
    const auto at = text.find(needle);
    REQUIRE_MESSAGE(at != std::string::npos, "no line contains " << needle);
    uint32_t line = 1;
    for (size_t i = 0; i < at; ++i)
        line += text[i] == '\n' ? 1 : 0;
    return line;
}

// `text` parsed as if it were `dir`/hubgate.toml (relative paths resolve against `dir`).
inline config::LoadResult parse_in(const ScratchDir& dir, const std::string& text) {
    return config::parse_config(text, dir.path() / "hubgate.toml");
}

inline std::string describe(const config::LoadResult& result) {
    std::string out;
    for (const auto& d : result.diagnostics)
        out += config::format_diagnostic(d) + "\n";
    return out;
}

// Exactly one diagnostic, on `line`, about `key_path`, whose message contains `needle`.
inline void expect_one_error(const config::LoadResult& result, uint32_t line,
                             const std::string& key_path, const std::string& needle) {
    INFO(describe(result));
    CHECK(result.status == config::LoadStatus::Invalid);
    REQUIRE(result.diagnostics.size() == 1);
    const auto& d = result.diagnostics[0];
    CHECK(d.line == line);
    CHECK(d.col >= 1);
    CHECK(d.key_path == key_path);
    CHECK(d.message.find(needle) != std::string::npos);
}

}  // namespace hubgate::test
