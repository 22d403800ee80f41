// Spool::take_run: a run of one kind handed out past the window (merged upstream by the caller).
#include <doctest/doctest.h>

#include "harness/scratch_dir.hpp"
#include "spool_test_support.hpp"

using namespace hubgate::spool;
using namespace hubgate::spool::test;
using hubgate::test::ScratchDir;

namespace {

SpoolMessage reported_for(const std::string& device, int n) {
    SpoolMessage message = message_for(device, n);
    message.kind = RecordKind::reported;  // its number is in the payload: {"n":N}
    return message;
}

std::vector<int> numbers_of(const std::vector<SpooledMessage>& messages) {
    std::vector<int> numbers;
    for (const auto& message : messages) {
        numbers.push_back(std::stoi(message.message.payload.substr(5)));
    }
    return numbers;
}

}  // namespace

TEST_CASE("take_run hands out the run of one kind that follows, past the window") {
    ScratchDir dir;
    auto options = options_for(dir.path());  // window 3
    {
        auto spool = open_or_fail(options);
        for (int i = 0; i < 6; ++i) {
            REQUIRE(spool->append(reported_for("dev", i)).status == AppendStatus::ok);
        }
        REQUIRE(spool->append(message_for("dev", 6)).status == AppendStatus::ok);
        REQUIRE(spool->append(reported_for("dev", 7)).status == AppendStatus::ok);
        REQUIRE(spool->commit());

        CHECK(numbers_of(spool->take("dev")) == std::vector<int>{0, 1, 2});
        // The run stops at the telemetry message, which waits for take().
        CHECK(numbers_of(spool->take_run("dev", RecordKind::reported, 10)) ==
              std::vector<int>{3, 4, 5});
        CHECK(spool->take("dev").empty());  // six in flight: the window is more than used
        CHECK(spool->take_run("dev", RecordKind::reported, 10).empty());
        for (std::uint64_t seq = 1; seq <= 6; ++seq) {
            CHECK(spool->ack("dev", seq));
        }
        CHECK(numbers_of(spool->take("dev")) == std::vector<int>{6, 7});
        // Never acknowledged: still there after a restart.
    }
    // After a reopen the messages are read back from the segment (not kept in memory).
    auto spool = open_or_fail(options);
    CHECK(spool->take_run("dev", RecordKind::telemetry, 5).size() == 1);
    CHECK(numbers_of(spool->take_run("dev", RecordKind::reported, 1)) == std::vector<int>{7});
    CHECK(spool->backlog("dev") == 2);
    spool->requeue("dev");
    CHECK(numbers_of(spool->take("dev")) == std::vector<int>{6, 7});
}
