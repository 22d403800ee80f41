#include "gateway/log/log.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

namespace hubgate::log {

namespace {

// sd-daemon(3) priorities: "<3>" error ... "<7>" debug. journald reads them off each line.
int syslog_priority(spdlog::level::level_enum level) {
    switch (level) {
        case spdlog::level::critical:
            return 2;
        case spdlog::level::err:
            return 3;
        case spdlog::level::warn:
            return 4;
        case spdlog::level::info:
            return 6;
        default:
            return 7;  // debug, trace
    }
}

class PriorityFlag final : public spdlog::custom_flag_formatter {
  public:
    void format(const spdlog::details::log_msg& msg, const std::tm&,
                spdlog::memory_buf_t& dest) override {
        std::string prefix = "<" + std::to_string(syslog_priority(msg.level)) + ">";
        dest.append(prefix.data(), prefix.data() + prefix.size());
    }
    std::unique_ptr<custom_flag_formatter> clone() const override {
        return std::make_unique<PriorityFlag>();
    }
};

}  // namespace

bool stderr_is_journal() {
    const char* stream = std::getenv("JOURNAL_STREAM");
    if (stream == nullptr)
        return false;
    struct stat st {};
    if (fstat(STDERR_FILENO, &st) != 0)
        return false;
    unsigned long long dev = 0, ino = 0;
    if (std::sscanf(stream, "%llu:%llu", &dev, &ino) != 2)
        return false;
    return dev == static_cast<unsigned long long>(st.st_dev) &&
           ino == static_cast<unsigned long long>(st.st_ino);
}

void init(std::string_view level, Format format) {
    if (format == Format::Auto)
        format = stderr_is_journal() ? Format::Journal : Format::Human;

    // Logs go to stderr: stdout belongs to command output (tokens, JSON routes, tables).
    // Colours only on a terminal (the colour sink checks isatty itself); plain lines for journald.
    spdlog::sink_ptr sink;
    if (format == Format::Journal) {
        sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    } else {
        sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    }
    auto logger = std::make_shared<spdlog::logger>("hubgate", std::move(sink));
    auto formatter = std::make_unique<spdlog::pattern_formatter>();
    if (format == Format::Journal) {
        formatter->add_flag<PriorityFlag>('*').set_pattern("%*%v");
    } else {
        formatter->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%-5l%$ %v");
    }
    logger->set_formatter(std::move(formatter));
    auto parsed = spdlog::level::from_str(std::string(level));
    // from_str answers "off" for anything it does not know; only an explicit "off" means off.
    if (parsed == spdlog::level::off && level != "off")
        parsed = spdlog::level::info;
    logger->set_level(parsed);
    logger->flush_on(spdlog::level::warn);
    spdlog::set_default_logger(std::move(logger));
}

}  // namespace hubgate::log
