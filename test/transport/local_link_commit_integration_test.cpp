// LocalLink with the commit off its thread: reads go on while a batch syncs, PUBACKs wait for
// their batch's sync (also through kill -9), and a failed sync gives up what was read meanwhile.
#include <doctest/doctest.h>
#include <signal.h>

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

// Reading ahead is off by default (local_link_options.hpp); these tests are about it.
LocalLinkOptions read_ahead_options(int port, std::string client_id) {
    auto options = plain_options(port, {"dev/#"}, std::move(client_id));
    options.read_ahead = true;
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
