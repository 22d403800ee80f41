#pragma once
// Process-wide logging setup (spdlog). After init(), log with spdlog::info(...) etc.
// On a terminal: human format with timestamps. Under systemd (JOURNAL_STREAM set): each line
// starts with the syslog priority prefix "<N>" and carries no timestamp, so journald records
// levels. Never pass secrets to a log call: use iothub::redact_sas_token() for tokens.

#include <string_view>

namespace hubgate::log {

enum class Format { Auto, Human, Journal };

// `level`: trace, debug, info, warn, error, critical, off. Unknown values fall back to info.
void init(std::string_view level = "info", Format format = Format::Auto);

// True when stderr is connected to the journal (JOURNAL_STREAM matches stderr's device:inode).
bool stderr_is_journal();

}  // namespace hubgate::log
