// LocalLink wired to a real Spool: a full spool stops reading, nothing is lost.
#include <doctest/doctest.h>

#include <set>

#include "gateway/spool/spool.hpp"
#include "link_observer.hpp"
#include "local_broker.hpp"
#include "spool_wiring.hpp"

using namespace hubgate::transport;
using namespace hubgate::transport::test;

TEST_CASE("a full spool stops reading, messages stay with the broker and arrive after acks") {
    LocalBroker broker;
    broker.start();
    hubgate::test::ScratchDir dir("hubgate-flow");
    hubgate::spool::SpoolOptions spool_options;
    spool_options.dir = dir.path() / "spool";
    spool_options.max_bytes = 16 << 10;
    spool_options.max_record_bytes = 2 << 10;
    spool_options.segment_bytes = 4 << 10;
    spool_options.window = 1000;
    std::string error;
    auto spool = hubgate::spool::Spool::open(spool_options, error);
    REQUIRE_MESSAGE(spool, error);

    LocalLinkHandlers handlers = spool_handlers(*spool, "dev");
    LocalLink link(plain_options(broker.port(), {"dev/#"}, "hubgate-flow"), handlers);
    REQUIRE(link.start(error));
    REQUIRE(eventually([&] { return link.counters().subscribed > 0; }));

    constexpr int kMessages = 100;
    std::string lines;
    std::set<std::string> expected;
    for (int i = 0; i < kMessages; ++i) {
        std::string payload = "message-" + std::to_string(i) + "-" + std::string(500, 'p');
        expected.insert(payload);
        lines += payload + "\n";
    }
    REQUIRE(publish_lines(broker.port(), "dev/1", lines));

    // The spool (16 KiB) holds far fewer than 100 such messages: the link must pause.
    REQUIRE(eventually([&] { return link.counters().read_pauses >= 1; }));
    const auto stored_when_paused = spool->counters().appended.load();
    CHECK(stored_when_paused < kMessages);
    CHECK_FALSE(spool->has_room());

    // Drain like the device session would: take, "deliver", ack, and tell the link.
    std::set<std::string> delivered;
    const bool all_delivered = eventually(
        [&] {
            for (const auto& message : spool->take("dev")) {
                delivered.insert(message.message.payload);
                spool->ack("dev", message.seq);
            }
            link.wake();
            return delivered.size() == expected.size();
        },
        60s);
    CHECK(all_delivered);
    CHECK(delivered == expected);
    CHECK(link.counters().refused == 0);  // flow control kept appends from failing
    CHECK(spool->counters().full_events == 0);
    CHECK(link.counters().read_pauses >= 1);
}
