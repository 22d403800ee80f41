#include "local_broker.hpp"

#include <stdexcept>

#include "harness/ports.hpp"

namespace hubgate::transport::test {

using namespace std::chrono_literals;

LocalBroker::LocalBroker(bool anonymous)
    : dir_("hubgate-local"), port_(hubgate::test::free_tcp_port()) {
    conf_text_ = "user root\npersistence false\nmax_queued_messages 0\n";
    conf_text_ += anonymous ? "allow_anonymous true\n" : "allow_anonymous false\n";
    conf_text_ += "listener " + std::to_string(port_) + " 127.0.0.1\n";
    conf_ = dir_.write("mosquitto.conf", conf_text_).string();
}

void LocalBroker::add_config(const std::string& text) {
    conf_text_ += text;
    dir_.write("mosquitto.conf", conf_text_);
}

LocalBroker::~LocalBroker() {
    stop();
}

void LocalBroker::start() {
    process_ = std::make_unique<hubgate::test::Process>(
        std::vector<std::string>{MOSQUITTO_EXECUTABLE, "-c", conf_});
    if (!hubgate::test::wait_for_port(port_, 10s)) {
        throw std::runtime_error("mosquitto did not start: " + process_->output());
    }
}

void LocalBroker::stop() {
    if (process_) {
        process_->stop();
        process_.reset();
    }
}

bool publish(int port, const std::string& topic, const std::string& payload,
             std::vector<std::string> args) {
    std::vector<std::string> argv = {
        MOSQUITTO_PUB, "-h",    "127.0.0.1", "-p", std::to_string(port), "-t", topic,
        "-m",          payload, "-q",        "1"};
    argv.insert(argv.end(), args.begin(), args.end());
    return hubgate::test::run(argv, 20s).status == 0;
}

std::vector<std::string> subscriber_argv(int port, std::vector<std::string> args) {
    std::vector<std::string> argv = {STDBUF,      "-oL", MOSQUITTO_SUB,       "-h",
                                     "127.0.0.1", "-p",  std::to_string(port)};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
}

bool publish_lines(int port, const std::string& topic, const std::string& lines) {
    return hubgate::test::run({MOSQUITTO_PUB, "-h", "127.0.0.1", "-p", std::to_string(port), "-t",
                               topic, "-q", "1", "-l"},
                              30s, {}, lines)
               .status == 0;
}

}  // namespace hubgate::transport::test
