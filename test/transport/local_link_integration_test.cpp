// LocalLink against a real mosquitto: filters, persistent session, broker restart, downlinks,
// the PUBACK-after-commit contract, refusals, and sockets above fd 1024.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <mutex>
#include <set>

#include "gateway/liveness/thread_heartbeat.hpp"
#include "gateway/transport/puback_echo.hpp"
#include "harness/process.hpp"
#include "link_observer.hpp"
#include "local_broker.hpp"
#include "spool_wiring.hpp"

using namespace hubgate::transport;
using namespace hubgate::transport::test;

namespace {

std::unique_ptr<LocalLink> start_link(const LocalLinkOptions& options, LinkObserver& observer,
                                      LocalLinkHandlers handlers = {}) {
    if (!handlers.on_message) {
        handlers = observer.handlers();
    }
    auto link = std::make_unique<LocalLink>(options, handlers);
    std::string error;
    REQUIRE_MESSAGE(link->start(error), error);
    REQUIRE(eventually([&] { return link->counters().subscribed > 0; }));
    return link;
}

// TCP_NODELAY of every socket of this process connected to 127.0.0.1:`port`.
std::vector<int> nodelay_of_sockets_to(int port) {
    std::vector<int> found;
    for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
        const int fd = std::stoi(entry.path().filename().string());
        sockaddr_in peer{};
        socklen_t length = sizeof peer;
        if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &length) != 0 ||
            peer.sin_family != AF_INET || ntohs(peer.sin_port) != port) {
            continue;
        }
        int nodelay = 0;
        socklen_t size = sizeof nodelay;
        REQUIRE(::getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &nodelay, &size) == 0);
        found.push_back(nodelay);
    }
    return found;
}

}  // namespace

TEST_CASE("receives exactly the messages matching the given filters, with QoS 1") {
    LocalBroker broker;
    broker.start();
    LinkObserver observer;
    auto link =
        start_link(plain_options(broker.port(), {"plant/+/telemetry", "other/#"}), observer);

    REQUIRE(publish(broker.port(), "plant/a/telemetry", "t1"));
    REQUIRE(publish(broker.port(), "plant/a/state", "not-subscribed-1"));
    REQUIRE(publish(broker.port(), "plant/a/b/telemetry", "not-subscribed-2"));
    REQUIRE(publish(broker.port(), "other/x/y", "o1", {"-r"}));
    REQUIRE(publish(broker.port(), "unrelated", "not-subscribed-3"));
    REQUIRE(publish(broker.port(), "other/end", "end"));
    REQUIRE(observer.wait_for_payload("end"));

    const auto received = observer.received();
    REQUIRE(received.size() == 3);
    CHECK(received[0].topic == "plant/a/telemetry");
    CHECK(received[0].payload == "t1");
    CHECK(received[0].qos == 1);
    CHECK(received[1].topic == "other/x/y");
    CHECK(received[1].payload == "o1");
    CHECK(received[2].payload == "end");
    CHECK(link->counters().received == 3);
    CHECK(link->connected());
}

TEST_CASE("the subscription QoS is the configured one (local.qos = 0: at most once)") {
    LocalBroker broker;
    broker.start();
    LinkObserver observer;
    auto options = plain_options(broker.port(), {"plant/#"});
    options.qos = 0;
    auto link = start_link(options, observer);
    // A QoS 1 publish reaches a QoS 0 subscription at QoS 0: no PUBACK is owed to the broker.
    REQUIRE(publish(broker.port(), "plant/a/telemetry", "q0"));
    REQUIRE(observer.wait_for_payload("q0"));
    const auto received = observer.received();
    REQUIRE(received.size() == 1);
    CHECK(received[0].qos == 0);
}

TEST_CASE("messages published while the link is down arrive after it reconnects, once each") {
    LocalBroker broker;
    broker.start();
    const auto options = plain_options(broker.port(), {"dev/#"}, "hubgate-persistent");
    {
        LinkObserver first;
        auto link = start_link(options, first);
        REQUIRE(publish(broker.port(), "dev/1", "before"));
        REQUIRE(first.wait_for_payload("before"));
        link->stop();
        CHECK_FALSE(link->connected());
        CHECK(link->counters().disconnects == 1);
    }
    std::string lines;
    for (int i = 0; i < 20; ++i) {
        lines += "while-down-" + std::to_string(i) + "\n";
    }
    REQUIRE(publish_lines(broker.port(), "dev/1", lines));

    LinkObserver second;
    LocalLinkHandlers handlers = second.handlers();
    LocalLink link(options, handlers);
    std::string error;
    REQUIRE(link.start(error));
    REQUIRE(second.wait([](const auto& all) { return all.size() >= 20; }));
    REQUIRE(publish(broker.port(), "dev/1", "after"));
    REQUIRE(second.wait_for_payload("after"));
    const auto payloads = second.payloads();
    CHECK(payloads.size() == 21);  // "before" was acknowledged: not delivered again
    for (int i = 0; i < 20; ++i) {
        CHECK(payloads[static_cast<std::size_t>(i)] == "while-down-" + std::to_string(i));
    }
}

TEST_CASE("after a broker restart that lost the session, the link reconnects and resubscribes") {
    LocalBroker broker;
    broker.start();
    LinkObserver observer;
    std::atomic<int> ups{0};
    std::atomic<int> downs{0};
    std::atomic<int> resumed{0};
    LocalLinkHandlers handlers = observer.handlers();
    handlers.on_connection_change = [&](bool up, bool session_resumed) {
        ++(up ? ups : downs);
        resumed += session_resumed ? 1 : 0;
    };
    auto link = start_link(plain_options(broker.port(), {"dev/#"}), observer, handlers);
    REQUIRE(publish(broker.port(), "dev/1", "first"));
    REQUIRE(observer.wait_for_payload("first"));

    broker.stop();  // persistence false: the session and subscription are gone
    REQUIRE(eventually([&] { return !link->connected(); }));
    CHECK(downs == 1);
    broker.start();
    REQUIRE(eventually([&] { return link->counters().subscribed >= 2; }));
    CHECK(link->counters().reconnects >= 1);
    CHECK(ups >= 2);
    CHECK(resumed == 0);  // a broker without persistence never resumes a session
    REQUIRE(publish(broker.port(), "dev/1", "second"));
    CHECK(observer.wait_for_payload("second"));
}

TEST_CASE("the link keeps retrying while the broker is not there yet") {
    LocalBroker broker;  // not started
    LinkObserver observer;
    LocalLinkHandlers handlers = observer.handlers();
    LocalLink link(plain_options(broker.port(), {"dev/#"}), handlers);
    std::string error;
    REQUIRE(link.start(error));
    REQUIRE(eventually([&] { return link.counters().connect_failures >= 2; }));
    broker.start();
    REQUIRE(eventually([&] { return link.counters().subscribed >= 1; }));
    REQUIRE(publish(broker.port(), "dev/x", "late"));
    CHECK(observer.wait_for_payload("late"));
}

TEST_CASE("downlink publishes reach a local subscriber in order and retained ones stay retained") {
    LocalBroker broker;
    broker.start();
    LinkObserver observer;
    auto link = start_link(plain_options(broker.port(), {"up/#"}), observer);
    hubgate::test::Process subscriber(
        subscriber_argv(broker.port(), {"-t", "down/#", "-v", "-d", "-q", "1", "-C", "3"}));
    REQUIRE(subscriber.wait_for_output("SUBACK"));
    CHECK(link->publish("down/dev1/inbox", "c2d-1", 1, false));
    CHECK(link->publish("down/dev1/inbox", "c2d-2", 1, false));
    CHECK(link->publish("down/dev1/config", "{\"desired\":1}", 1, true));
    REQUIRE(subscriber.wait_exit(20s) == 0);
    const std::string out = subscriber.output();
    const auto first = out.find("down/dev1/inbox c2d-1");
    const auto second = out.find("down/dev1/inbox c2d-2");
    const auto third = out.find("down/dev1/config {\"desired\":1}");
    REQUIRE(first != std::string::npos);
    REQUIRE(second != std::string::npos);
    REQUIRE(third != std::string::npos);
    CHECK(first < second);
    CHECK(second < third);
    CHECK(link->counters().published == 3);

    // A subscriber arriving later still gets the retained desired-properties message.
    auto late = hubgate::test::run(
        subscriber_argv(broker.port(), {"-t", "down/dev1/config", "-C", "1", "-W", "10"}));
    CHECK(late.status == 0);
    CHECK(late.output.find("{\"desired\":1}") != std::string::npos);

    CHECK_FALSE(link->publish("", "no topic", 1, false));
    CHECK(link->counters().publish_dropped == 1);
}

TEST_CASE("downlinks published while the broker is away are sent once it is back") {
    LocalBroker broker;
    broker.start();
    LinkObserver observer;
    auto link = start_link(plain_options(broker.port(), {"up/#"}), observer);
    broker.stop();
    REQUIRE(eventually([&] { return !link->connected(); }));
    // Retained, so a subscriber sees it whenever it subscribes relative to the reconnect.
    CHECK(link->publish("down/queued", "while-away", 1, true));
    CHECK(link->counters().published == 0);
    broker.start();
    REQUIRE(eventually([&] { return link->counters().published == 1; }));
    auto late = hubgate::test::run(
        subscriber_argv(broker.port(), {"-t", "down/queued", "-C", "1", "-W", "10"}));
    CHECK(late.status == 0);
    CHECK(late.output.find("while-away") != std::string::npos);
}

TEST_CASE("a publish with a ticket is reported once the broker acknowledged it, not before") {
    LocalBroker broker;
    broker.start();
    LinkObserver observer;
    std::mutex mutex;
    std::vector<std::pair<std::uint64_t, bool>> done;
    auto handlers = observer.handlers();
    handlers.on_publish_done = [&](std::uint64_t ticket, bool delivered) {
        std::lock_guard lock(mutex);
        done.emplace_back(ticket, delivered);
    };
    auto link = start_link(plain_options(broker.port(), {"up/#"}), observer, handlers);
    auto reported = [&] {
        std::lock_guard lock(mutex);
        return done;
    };
    broker.stop();
    REQUIRE(eventually([&] { return !link->connected(); }));
    CHECK(link->publish("down/kept", "c2d", 1, false, 7));
    CHECK(link->publish("down/plain", "no ticket", 1, false));
    CHECK(link->publish("down/kept0", "qos 0", 0, false, 8));
    CHECK(reported().empty());  // queued while the broker is away: nothing acknowledged
    broker.start();
    REQUIRE(eventually([&] { return reported().size() == 2; }));
    // The QoS 0 one is reported when written, the QoS 1 one at its PUBACK: either order.
    auto results = reported();
    std::sort(results.begin(), results.end());
    CHECK(results == std::vector<std::pair<std::uint64_t, bool>>{{7, true}, {8, true}});
    CHECK(link->counters().published == 3);
}

TEST_CASE("a PUBACK is not released before commit, and the redelivery keeps the stored mid") {
    LocalBroker broker;
    broker.start();
    hubgate::test::ScratchDir dir("hubgate-probe");
    const auto spool_dir = dir.path() / "spool";
    hubgate::test::Process probe({std::string(HUBGATE_BIN_DIR) + "/local_link_probe",
                                  std::to_string(broker.port()), "probe-client", "dev/#",
                                  spool_dir.string()});
    REQUIRE(probe.wait_for_output("subscribed"));
    REQUIRE(publish(broker.port(), "dev/1", "must-survive"));
    REQUIRE(probe.wait_exit(20s) == 0);
    const std::string said = probe.output();
    CHECK(said.find("committing") != std::string::npos);
    const auto taken = said.find("taken must-survive ");
    REQUIRE(taken != std::string::npos);
    const std::string mid = said.substr(taken + 19, 36);

    // The same client id resumes the session: the broker never got the PUBACK and redelivers;
    // the spool recognises its own message and keeps the one record with its first mid.
    std::string error;
    auto spool = hubgate::spool::Spool::open(hubgate::spool::SpoolOptions{spool_dir}, error);
    REQUIRE_MESSAGE(spool, error);
    LocalLink link(plain_options(broker.port(), {"dev/#"}, "probe-client"),
                   spool_handlers(*spool, "dev"));
    REQUIRE(link.start(error));
    REQUIRE(eventually([&] { return link.counters().received >= 1; }));
    // `received` is counted before the handler runs: wait for the handler's verdict too.
    eventually([&] { return spool->counters().redeliveries + spool->counters().appended >= 1; });
    INFO("appended " << spool->counters().appended.load());
    CHECK(spool->counters().redeliveries == 1);
    CHECK(spool->counters().appended == 0);
    const auto messages = spool->take("dev");
    REQUIRE(messages.size() == 1);
    CHECK(messages[0].mid == mid);
    CHECK(messages[0].message.payload == "must-survive");
}

TEST_CASE("a refused message stays with the broker and comes back after the reconnect") {
    LocalBroker broker;
    broker.start();
    LinkObserver observer;
    std::atomic<int> refusals{0};
    LocalLinkHandlers handlers;
    handlers.on_message = [&](const InboundMessage& message) {
        if (message.payload == "m2" && refusals++ == 0) {
            return InboundVerdict::refused;  // e.g. the disk failed this once
        }
        return observer.record(message);
    };
    auto link =
        start_link(plain_options(broker.port(), {"dev/#"}, "hubgate-refuse"), observer, handlers);
    REQUIRE(publish_lines(broker.port(), "dev/1", "m1\nm2\nm3\nm4\n"));
    REQUIRE(observer.wait([](const auto& all) {
        std::set<std::string> seen;
        for (const auto& item : all) {
            seen.insert(item.payload);
        }
        return seen.size() == 4;
    }));
    CHECK(refusals >= 1);
    CHECK(link->counters().refused >= 1);
    CHECK(link->counters().reconnects >= 1);
}

TEST_CASE("works when its sockets are above fd 1024 (no select())") {
    rlimit limit{};
    REQUIRE(::getrlimit(RLIMIT_NOFILE, &limit) == 0);
    if (limit.rlim_cur < 2048 && limit.rlim_max >= 2048) {
        limit.rlim_cur = 2048;
        REQUIRE(::setrlimit(RLIMIT_NOFILE, &limit) == 0);
    }
    REQUIRE(limit.rlim_cur >= 2048);
    LocalBroker broker;
    broker.start();
    std::vector<int> dummies;
    for (int i = 0; i < 1100; ++i) {
        const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        REQUIRE(fd >= 0);
        dummies.push_back(fd);
    }
    {
        const int probe = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        CHECK(probe >= 1024);  // so the link's eventfd and socket will be too
        ::close(probe);
        LinkObserver observer;
        auto link = start_link(plain_options(broker.port(), {"dev/#"}), observer);
        REQUIRE(publish(broker.port(), "dev/high", "fd-above-1024"));
        CHECK(observer.wait_for_payload("fd-above-1024"));
        hubgate::test::Process subscriber(
            subscriber_argv(broker.port(), {"-t", "down/#", "-d", "-C", "1"}));
        REQUIRE(subscriber.wait_for_output("SUBACK"));
        CHECK(link->publish("down/high", "downlink-above-1024", 1, false));
        REQUIRE(subscriber.wait_exit(20s) == 0);
        CHECK(subscriber.output().find("downlink-above-1024") != std::string::npos);
    }
    for (int fd : dummies) {
        ::close(fd);
    }
}

TEST_CASE("its socket to the broker sends at once (TCP_NODELAY), without waiting for an ACK") {
    // A batch's PUBACKs go out in one write after its commit. With Nagle's algorithm on, the
    // next batch's write waits for the broker's delayed ACK (up to 40 ms), while the broker,
    // its inflight window to us full, holds back further messages: tens of ms added per message.
    LocalBroker broker;
    broker.start();
    LinkObserver observer;
    auto link = start_link(plain_options(broker.port(), {"dev/#"}), observer);
    const std::vector<int> nodelay = nodelay_of_sockets_to(broker.port());
    REQUIRE(nodelay.size() == 1);
    CHECK(nodelay[0] != 0);
}

TEST_CASE("unusable settings are reported by start()") {
    LinkObserver observer;
    std::string error;
    {
        LocalLink link(plain_options(1883, {"bad/#/filter"}), observer.handlers());
        CHECK_FALSE(link.start(error));
        CHECK(error.find("bad/#/filter") != std::string::npos);
    }
    {
        auto options = plain_options(1883, {"ok/#"});
        options.tls = LocalTlsOptions{};
        LocalLink link(options, observer.handlers());
        CHECK_FALSE(link.start(error));
        CHECK(error.find("ca_file") != std::string::npos);
    }
    {
        LocalLink link(plain_options(1883, {"ok/#"}), LocalLinkHandlers{});
        CHECK_FALSE(link.start(error));
    }
}

// The link stops reading while the echo's markers do not come back, so a stuck echo thread stalls
// the uplink: the watchdog must see it like the link's own thread.
TEST_CASE("the PUBACK echo thread beats a heartbeat the watchdog reads") {
    LocalBroker broker;
    broker.start();
    PubackEcho echo(plain_options(broker.port(), {"plant/#"}), [] {});
    std::string error;
    REQUIRE_MESSAGE(echo.start(error), error);
    REQUIRE(eventually([&] { return echo.ready(); }));
    const auto beats = hubgate::liveness::process_threads().beats();
    CHECK(std::any_of(beats.begin(), beats.end(), [](const hubgate::liveness::ThreadBeat& beat) {
        return beat.name == "puback echo";
    }));
    echo.stop();
}
