// LocalLink with the commit off its thread: reads go on while a batch syncs, PUBACKs wait for
// their batch's sync (also through kill -9), and a failed sync gives up what was read meanwhile.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <set>
#include <thread>

#include "gateway/spool/spool.hpp"
#include "harness/process.hpp"
#include "link_observer.hpp"
#include "local_broker.hpp"
#include "spool_wiring.hpp"

using namespace hubgate::transport;
using namespace hubgate::transport::test;
using hubgate::spool::FileOp;

namespace {

// Holds every spool sync (on the link's syncer thread) while `held` is set, bounded so a broken
// link cannot hang the test.
struct SyncGate {
    std::atomic<bool> held{true};
    std::atomic<int> syncs_entered{0};

    hubgate::spool::FaultHook hook() {
        return [this](FileOp op, const std::filesystem::path&) {
            if (op == FileOp::sync) {
                ++syncs_entered;
                const auto deadline = std::chrono::steady_clock::now() + 30s;
                while (held && std::chrono::steady_clock::now() < deadline) {
                    std::this_thread::sleep_for(1ms);
                }
            }
            return 0;
        };
    }
};

std::unique_ptr<hubgate::spool::Spool> open_spool(const std::filesystem::path& dir,
                                                  hubgate::spool::FaultHook fault = {}) {
    hubgate::spool::SpoolOptions options;
    options.dir = dir;
    options.window = 1000;
    options.fault = std::move(fault);
    std::string error;
    auto spool = hubgate::spool::Spool::open(options, error);
    REQUIRE_MESSAGE(spool, error);
    return spool;
}

std::set<std::string> take_payloads(hubgate::spool::Spool& spool, std::size_t& taken) {
    std::set<std::string> payloads;
    for (const auto& message : spool.take("dev")) {
        payloads.insert(message.message.payload);
        ++taken;
    }
    return payloads;
}

LocalLinkOptions read_ahead_options(int port, std::string client_id) {
    auto options = plain_options(port, {"dev/#"}, std::move(client_id));
    REQUIRE(options.read_ahead);  // on by default (local_link_options.hpp); these tests need it
    return options;
}

}  // namespace

TEST_CASE("while a batch syncs the link reads on - its PUBACKs leave once it is synced") {
    LocalBroker broker;
    broker.start();
    hubgate::test::ScratchDir dir("hubgate-commit");
    SyncGate gate;
    {
        auto spool = open_spool(dir.path() / "spool", gate.hook());
        LocalLink link(read_ahead_options(broker.port(), "hubgate-commit"),
                       spool_handlers(*spool, "dev"));
        std::string error;
        REQUIRE(link.start(error));
        REQUIRE(eventually([&] { return link.counters().subscribed > 0; }));

        REQUIRE(publish(broker.port(), "dev/1", "m1"));
        REQUIRE(eventually([&] { return gate.syncs_entered > 0; }));
        // m1's batch is syncing (held). The next messages are still read and stored.
        REQUIRE(publish_lines(broker.port(), "dev/1", "m2\nm3\nm4\n"));
        CHECK(eventually([&] { return spool->counters().appended == 4; }));
        CHECK(gate.held);

        gate.held = false;
        // Everything gets committed and acknowledged; stop() leaves nothing unreleased.
        REQUIRE(eventually([&] { return link.counters().received == 4; }));
        link.stop();
        CHECK(link.counters().commit_failures == 0);
    }
    // The broker got every PUBACK: a new link on the same session gets nothing again.
    auto spool = open_spool(dir.path() / "spool");
    LinkObserver observer;
    LocalLink link(read_ahead_options(broker.port(), "hubgate-commit"), observer.handlers());
    std::string error;
    REQUIRE(link.start(error));
    REQUIRE(eventually([&] { return link.counters().subscribed > 0; }));
    REQUIRE(publish(broker.port(), "dev/1", "after"));
    REQUIRE(observer.wait_for_payload("after"));
    CHECK(observer.payloads() == std::vector<std::string>{"after"});
}

TEST_CASE("kill -9 while a batch syncs and later messages were read: the broker has them all") {
    LocalBroker broker;
    broker.start();
    hubgate::test::ScratchDir dir("hubgate-commit-kill");
    const auto spool_dir = dir.path() / "spool";
    hubgate::test::Process probe({std::string(HUBGATE_BIN_DIR) + "/local_link_probe",
                                  std::to_string(broker.port()), "probe-hold", "dev/#",
                                  spool_dir.string(), "hold-sync"});
    REQUIRE(probe.wait_for_output("subscribed"));
    REQUIRE(publish(broker.port(), "dev/1", "k1"));
    REQUIRE(probe.wait_for_output("syncing"));
    REQUIRE(publish_lines(broker.port(), "dev/1", "k2\nk3\n"));
    REQUIRE(probe.wait_for_output("taken k3 "));
    probe.signal(SIGKILL);
    probe.stop();

    // No PUBACK left: k1's batch never synced, k2 and k3 came after it. All three come again,
    // and the spool recognises each as the copy it has.
    auto spool = open_spool(spool_dir);
    LocalLink link(read_ahead_options(broker.port(), "probe-hold"), spool_handlers(*spool, "dev"));
    std::string error;
    REQUIRE(link.start(error));
    CHECK(eventually([&] { return spool->counters().redeliveries == 3; }));
    CHECK(spool->counters().appended == 0);
    std::size_t taken = 0;
    CHECK(take_payloads(*spool, taken) == std::set<std::string>{"k1", "k2", "k3"});
    CHECK(taken == 3);
}

TEST_CASE("a sync that fails gives up the messages read meanwhile - all are stored again, once") {
    LocalBroker broker;
    broker.start();
    hubgate::test::ScratchDir dir("hubgate-commit-fail");
    std::atomic<int> syncs{0};
    hubgate::spool::Spool* spool_seen = nullptr;
    // The first sync waits until three messages were stored, then fails like a failing disk.
    auto spool = open_spool(dir.path() / "spool", [&](FileOp op, const std::filesystem::path&) {
        if (op != FileOp::sync || syncs++ > 0) {
            return 0;
        }
        const auto deadline = std::chrono::steady_clock::now() + 10s;
        while (spool_seen->counters().appended < 3 && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(1ms);
        }
        return EIO;
    });
    spool_seen = spool.get();
    LocalLink link(read_ahead_options(broker.port(), "hubgate-commit-fail"),
                   spool_handlers(*spool, "dev"));
    std::string error;
    REQUIRE(link.start(error));
    REQUIRE(eventually([&] { return link.counters().subscribed > 0; }));
    REQUIRE(publish(broker.port(), "dev/1", "f1"));
    REQUIRE(eventually([&] { return syncs > 0; }));
    REQUIRE(publish_lines(broker.port(), "dev/1", "f2\nf3\n"));

    REQUIRE(eventually([&] { return link.counters().commit_failures == 1; }));
    CHECK(spool->counters().unsynced_given_up == 3);
    // Redelivered after the reconnect and stored anew: each message once, none lost.
    std::set<std::string> payloads;
    std::size_t taken = 0;
    CHECK(eventually([&] {
        payloads.merge(take_payloads(*spool, taken));
        return payloads.size() == 3;
    }));
    CHECK(payloads == std::set<std::string>{"f1", "f2", "f3"});
    CHECK(taken == 3);
    CHECK(link.counters().reconnects >= 1);
}

namespace {

// A PUBLISH packet (QoS 0, topic "dev/fake/…", 260 bytes) with no NUL or newline byte, so
// mosquitto_pub -l can carry copies of it inside one line. Read from the middle of a larger
// message, the bytes would look like a message nobody sent.
std::string fake_publish_packet() {
    std::string topic = "dev/fake/";
    topic.resize(260, 'f');
    std::string packet;
    packet += '\x30';      // PUBLISH, QoS 0
    packet += "\xC0\x02";  // remaining length 320
    packet += "\x01\x04";  // topic length 260
    packet += topic;
    packet += std::string(58, 'p');  // 2 + 260 + 58 = 320
    return packet;
}

// The fd of this process's TCP connection to 127.0.0.1:port (the link's socket), or -1.
int connection_to(int port) {
    for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
        int fd = -1;
        try {
            fd = std::stoi(entry.path().filename().string());
        } catch (const std::exception&) {
            continue;
        }
        sockaddr_in peer{};
        socklen_t length = sizeof peer;
        if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &length) == 0 &&
            peer.sin_family == AF_INET && ntohs(peer.sin_port) == port) {
            return fd;
        }
    }
    return -1;
}

// Gives the link's socket to the broker on `port` a 16 KiB receive buffer, so that a message of
// more than that never lies whole in it.
void shrink_receive_buffer(int port) {
    const int sock = connection_to(port);
    REQUIRE(sock >= 0);
    const int buffer = 16384;
    REQUIRE(::setsockopt(sock, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer) == 0);
}

}  // namespace

TEST_CASE(
    "reading ahead starts only where libmosquitto stopped - never inside a half-read message") {
    LocalBroker broker;
    // No in-flight window: the broker sends whatever the socket takes, PUBACKs or not.
    broker.add_config("max_inflight_messages 0\n");
    broker.start();
    LinkObserver observer;
    auto handlers = observer.handlers();
    std::atomic<int> commits{0};
    handlers.commit = [&commits] {
        // A slow disk: every batch syncs for a while, so more arrives meanwhile and is read ahead.
        ++commits;
        std::this_thread::sleep_for(30ms);
        return true;
    };
    LocalLink link(read_ahead_options(broker.port(), "hubgate-halfread"), std::move(handlers));
    std::string error;
    REQUIRE(link.start(error));
    REQUIRE(eventually([&] { return link.counters().subscribed > 0; }));
    // Large messages come in pieces, so read batches end inside them.
    shrink_receive_buffer(broker.port());

    // Small messages each followed by a large one that arrives in pieces: a batch ends with
    // libmosquitto halfway through the large one while the small one's batch syncs.
    constexpr int kPairs = 30;
    std::string fakes;
    while (fakes.size() < (200U << 10)) {
        fakes += fake_publish_packet();
    }
    std::string lines;
    std::vector<std::string> expected;
    for (int i = 0; i < kPairs; ++i) {
        expected.push_back("small " + std::to_string(i));
        expected.push_back("large " + std::to_string(i) + " " + fakes);
    }
    for (const auto& payload : expected) {
        lines += payload + "\n";
    }
    REQUIRE(publish_lines(broker.port(), "dev/1", lines));
    REQUIRE(observer.wait(
        [&](const std::vector<Received>& got) { return got.size() >= expected.size(); }));
    CHECK(link.counters().disconnects == 0);
    CHECK(link.counters().misreads == 0);
    link.stop();
    const auto received = observer.received();
    std::vector<std::string> payloads;
    for (const auto& message : received) {
        CHECK_MESSAGE(message.topic == "dev/1",
                      "a message nobody sent, on " << message.topic.substr(0, 20));
        payloads.push_back(message.payload);
    }
    CHECK(payloads == expected);
    CHECK(commits > 1);
}

TEST_CASE("reading ahead while downlinks await their PUBACKs - every message once, in order") {
    LocalBroker broker;
    broker.start();
    LinkObserver observer;
    auto handlers = observer.handlers();
    handlers.commit = [] {
        std::this_thread::sleep_for(2ms);  // a slow disk, so the link reads ahead
        return true;
    };
    LocalLink link(read_ahead_options(broker.port(), "hubgate-downlinks"), std::move(handlers));
    std::string error;
    REQUIRE(link.start(error));
    REQUIRE(eventually([&] { return link.counters().subscribed > 0; }));

    // Downlinks at QoS 1 keep libmosquitto holding messages of its own while uplinks arrive:
    // the broker's PUBACKs for them come between the PUBLISHes being read ahead.
    std::atomic<bool> uplinks_done{false};
    std::thread downlinks([&] {
        for (int i = 0; !uplinks_done && i < 20000; ++i) {
            link.publish("down/" + std::to_string(i % 7), "d" + std::to_string(i), 1, false, 0);
            if (i % 8 == 7) {
                std::this_thread::sleep_for(1ms);
            }
        }
    });
    constexpr int kUplinks = 400;
    std::string lines;
    std::vector<std::string> expected;
    for (int i = 0; i < kUplinks; ++i) {
        expected.push_back("u" + std::to_string(i));
        lines += expected.back() + "\n";
    }
    const bool published = publish_lines(broker.port(), "dev/1", lines);
    const bool all = observer.wait(
        [&](const std::vector<Received>& got) { return got.size() >= expected.size(); });
    uplinks_done = true;
    downlinks.join();
    REQUIRE(published);
    REQUIRE(all);
    CHECK(link.counters().disconnects == 0);
    CHECK(link.counters().misreads == 0);
    CHECK(observer.payloads() == expected);
    CHECK(link.counters().published > 0);
}

TEST_CASE("after a message that arrived in pieces the link reads ahead again") {
    LocalBroker broker;
    broker.start();
    hubgate::test::ScratchDir dir("hubgate-pieces");
    SyncGate gate;
    gate.held = false;
    auto spool = open_spool(dir.path() / "spool", gate.hook());
    LocalLink link(read_ahead_options(broker.port(), "hubgate-pieces"),
                   spool_handlers(*spool, "dev"));
    std::string error;
    REQUIRE(link.start(error));
    REQUIRE(eventually([&] { return link.counters().subscribed > 0; }));
    // A large message cannot be whole in the socket, so libmosquitto reads it piece by piece
    // and the link loses sight of where its packets end for a while.
    shrink_receive_buffer(broker.port());
    REQUIRE(publish_lines(broker.port(), "dev/1", std::string(200 << 10, 'L') + "\n"));
    REQUIRE(eventually([&] { return spool->counters().appended == 1; }));
    REQUIRE(eventually([&] { return gate.syncs_entered >= 1; }));

    // Then the next batch's sync hangs: the messages after it are still read (ahead).
    gate.held = true;
    const int syncs = gate.syncs_entered;
    REQUIRE(publish(broker.port(), "dev/1", "m1"));
    REQUIRE(eventually([&] { return gate.syncs_entered > syncs; }));
    REQUIRE(publish_lines(broker.port(), "dev/1", "m2\nm3\n"));
    CHECK(eventually([&] { return spool->counters().appended == 4; }, 5s));
    CHECK(link.counters().read_ahead >= 2);
    gate.held = false;
    REQUIRE(eventually([&] { return link.counters().received == 4; }));
    CHECK(link.counters().misreads == 0);
}
