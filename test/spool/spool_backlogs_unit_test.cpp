// Spool::backlogs(): each device's unfinished messages and their bytes, kept up to date by
// append, ack, TTL drops and recovery (what `hubgate status --device` and the per-device series
// show).
#include <doctest/doctest.h>

#include "harness/scratch_dir.hpp"
#include "spool_test_support.hpp"

using namespace hubgate::spool;
using namespace hubgate::spool::test;
using hubgate::test::ScratchDir;

namespace {

const DeviceBacklog* find(const std::vector<DeviceBacklog>& backlogs, const std::string& id) {
    for (const auto& backlog : backlogs) {
        if (backlog.device_id == id) {
            return &backlog;
        }
    }
    return nullptr;
}

}  // namespace

TEST_CASE("backlogs count each device's waiting and in-flight messages and their bytes") {
    ScratchDir dir;
    auto spool = open_or_fail(options_for(dir.path()));
    CHECK(spool->backlogs().empty());
    for (int i = 0; i < 4; ++i) {
        REQUIRE(spool->append(message_for("dev-a", i)).status == AppendStatus::ok);
    }
    REQUIRE(spool->append(message_for("dev-b", 0)).status == AppendStatus::ok);
    REQUIRE(spool->commit());

    auto backlogs = spool->backlogs();
    REQUIRE(backlogs.size() == 2);
    CHECK(backlogs[0].device_id == "dev-a");  // by device id
    CHECK(backlogs[0].messages == 4);
    CHECK(backlogs[1].messages == 1);
    const auto one_record = backlogs[1].bytes;
    CHECK(one_record > 0);
    CHECK(backlogs[0].bytes == 4 * one_record);  // the same size of record each

    // In flight is still unfinished; acknowledged is not.
    auto taken = spool->take("dev-a");
    REQUIRE(taken.size() == 3);
    CHECK(find(spool->backlogs(), "dev-a")->messages == 4);
    CHECK(spool->ack("dev-a", taken[0].seq));
    CHECK(spool->ack("dev-a", taken[1].seq));
    backlogs = spool->backlogs();
    CHECK(find(backlogs, "dev-a")->messages == 2);
    CHECK(find(backlogs, "dev-a")->bytes == 2 * one_record);
    CHECK(spool->backlog("dev-a") == 2);

    // A device with nothing left is not listed.
    auto b = spool->take("dev-b");
    REQUIRE(b.size() == 1);
    CHECK(spool->ack("dev-b", b[0].seq));
    CHECK(find(spool->backlogs(), "dev-b") == nullptr);
}

TEST_CASE("backlogs drop messages past the TTL and hold what recovery found") {
    ScratchDir dir;
    auto clock = std::make_shared<FakeClock>();
    auto options = options_for(dir.path(), clock);
    options.ttl = std::chrono::seconds{60};
    {
        auto spool = open_or_fail(options);
        REQUIRE(spool->append(message_for("gone", 0)).status == AppendStatus::ok);
        REQUIRE(spool->append(message_for("kept", 0)).status == AppendStatus::ok);
        REQUIRE(spool->append(message_for("kept", 1)).status == AppendStatus::ok);
        REQUIRE(spool->commit());
    }
    auto spool = open_or_fail(options);  // recovered from the segment files
    auto backlogs = spool->backlogs();
    REQUIRE(backlogs.size() == 2);
    CHECK(find(backlogs, "kept")->messages == 2);
    CHECK(find(backlogs, "kept")->bytes == 2 * find(backlogs, "gone")->bytes);  // ids of one length

    clock->advance(std::chrono::seconds{61});
    CHECK(spool->expire() == 3);
    CHECK(spool->backlogs().empty());
}
