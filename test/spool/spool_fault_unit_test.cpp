// The spool when the disk fails it: a failed fdatasync, a full disk (faults injected through
// SpoolOptions::fault).
#include <doctest/doctest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <cerrno>
#include <map>
#include <sstream>

#include "gateway/spool/ack_log.hpp"
#include "gateway/spool/segment_file.hpp"
#include "harness/scratch_dir.hpp"
#include "spool_test_support.hpp"

using namespace hubgate::spool;
using namespace hubgate::spool::test;
using hubgate::test::ScratchDir;

namespace {

SpoolMessage sourced(int n, std::uint32_t packet_id) {
    SpoolMessage message = message_for("dev", n);
    message.source = {packet_id, source_digest("plant/dev/telemetry", message.payload)};
    return message;
}

// Counts the log lines that contain `text` while it lives.
class LogCapture {
  public:
    LogCapture() : previous_(spdlog::default_logger()) {
        auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(stream_);
        spdlog::set_default_logger(std::make_shared<spdlog::logger>("capture", sink));
    }
    ~LogCapture() { spdlog::set_default_logger(previous_); }
    LogCapture(const LogCapture&) = delete;
    LogCapture& operator=(const LogCapture&) = delete;

    std::size_t lines_with(const std::string& text) const {
        std::istringstream lines(stream_.str());
        std::size_t count = 0;
        for (std::string line; std::getline(lines, line);) {
            count += line.find(text) != std::string::npos ? 1 : 0;
        }
        return count;
    }

  private:
    std::ostringstream stream_;
    std::shared_ptr<spdlog::logger> previous_;
};

}  // namespace

TEST_CASE("after a failed fdatasync a retried commit never reports the earlier batch durable") {
    ScratchDir dir;
    auto options = options_for(dir.path());
    // Linux after a write-back error: the failing fdatasync reports it once, and the pages it
    // could not write may be gone (here: cut off the file), so the next fdatasync succeeds with
    // nothing left to write.
    std::map<std::filesystem::path, std::uintmax_t> synced_size;
    bool fail_next_sync = false;
    options.fault = [&](FileOp op, const std::filesystem::path& path) {
        if (op != FileOp::sync) {
            return 0;
        }
        if (std::exchange(fail_next_sync, false)) {
            std::filesystem::resize_file(path, synced_size[path]);
            return EIO;
        }
        synced_size[path] = std::filesystem::file_size(path);
        return 0;
    };
    const SpoolMessage before = sourced(0, 1);
    const SpoolMessage first = sourced(1, 2);
    const SpoolMessage second = sourced(2, 3);
    {
        auto spool = open_or_fail(options);
        REQUIRE(spool->append(SpoolMessage(before)).status == AppendStatus::ok);
        REQUIRE(spool->commit());
        const auto first_try = spool->append(SpoolMessage(first));
        REQUIRE(spool->append(SpoolMessage(second)).status == AppendStatus::ok);
        fail_next_sync = true;
        CHECK_FALSE(spool->commit());  // the local link drops the connection: no PUBACK
        CHECK(spool->counters().unsynced_given_up == 2);
        CHECK(spool->backlog("dev") == 1);

        // The broker redelivers both (same packet ids): stored again, not matched to the copies
        // given up, and this commit is the one that makes them durable.
        const auto first_again = spool->append(SpoolMessage(first));
        CHECK_FALSE(first_again.redelivery);
        CHECK(first_again.seq != first_try.seq);
        CHECK_FALSE(spool->append(SpoolMessage(second)).redelivery);
        REQUIRE(spool->commit());
        CHECK(spool->append(SpoolMessage(first))
                  .redelivery);  // a later redelivery matches the new copy
        CHECK(spool->backlog("dev") == 3);
    }
    // What the PUBACKs promised is on disk, each once.
    auto spool = open_or_fail(options);
    std::vector<std::string> payloads;
    for (const auto& message : spool->take("dev")) {
        payloads.push_back(message.message.payload);
    }
    CHECK(payloads == std::vector<std::string>{before.payload, first.payload, second.payload});
}

TEST_CASE("a batch sent to the hub before its sync failed is not sent twice") {
    ScratchDir dir;
    auto options = options_for(dir.path());
    bool fail_sync = false;
    options.fault = [&](FileOp op, const std::filesystem::path&) {
        return op == FileOp::sync && fail_sync ? EIO : 0;
    };
    auto spool = open_or_fail(options);
    const SpoolMessage acked = sourced(0, 1);
    const SpoolMessage in_flight = sourced(1, 2);
    spool->append(SpoolMessage(acked));
    spool->append(SpoolMessage(in_flight));
    auto taken = spool->take("dev");
    REQUIRE(taken.size() == 2);
    REQUIRE(spool->ack("dev", taken[0].seq));
    fail_sync = true;
    CHECK_FALSE(spool->commit());
    fail_sync = false;
    // The hub has the first: its redelivery is a redelivery. The second is stored again.
    CHECK(spool->append(SpoolMessage(acked)).redelivery);
    CHECK_FALSE(spool->append(SpoolMessage(in_flight)).redelivery);
    CHECK_FALSE(spool->ack("dev", taken[1].seq));  // the copy given up is gone
    REQUIRE(spool->commit());
    const auto again = spool->take("dev");
    REQUIRE(again.size() == 1);
    CHECK(again[0].message.payload == in_flight.payload);
}

TEST_CASE("a full disk stops the spool, logged once and counted, until space returns") {
    LogCapture log;
    ScratchDir dir;
    auto clock = std::make_shared<FakeClock>();
    auto options = options_for(dir.path(), clock);
    bool disk_full = false;
    options.fault = [&](FileOp op, const std::filesystem::path&) {
        return disk_full && op != FileOp::sync ? ENOSPC : 0;
    };
    auto spool = open_or_fail(options);
    REQUIRE(spool->append(message_for("dev", 0)).status == AppendStatus::ok);
    REQUIRE(spool->has_room());

    disk_full = true;
    CHECK(spool->append(message_for("dev", 1)).status == AppendStatus::full);
    CHECK_FALSE(spool->has_room());  // the local link stops reading: the broker keeps them
    CHECK(spool->append(message_for("dev", 1)).status == AppendStatus::full);
    clock->advance(std::chrono::seconds{5});
    CHECK_FALSE(spool->has_room());
    CHECK(spool->counters().disk_full == 1);
    CHECK(spool->counters().full_events == 2);
    CHECK(spool->counters().io_errors == 0);
    CHECK(log.lines_with("disk is full") == 1);

    disk_full = false;
    CHECK_FALSE(spool->has_room());  // looked at again at most once a second
    clock->advance(std::chrono::seconds{1});
    CHECK(spool->has_room());
    CHECK(log.lines_with("space returned") == 1);
    CHECK(spool->append(message_for("dev", 1)).status == AppendStatus::ok);
    REQUIRE(spool->commit());
    CHECK(spool->backlog("dev") == 2);
    CHECK(spool->counters().disk_full == 1);
}

TEST_CASE("acks a full disk refuses are written by a later batch, in order, and logged once") {
    LogCapture log;
    ScratchDir dir;
    auto options = options_for(dir.path());
    bool acks_full = false;
    options.fault = [&](FileOp op, const std::filesystem::path& path) {
        return acks_full && op == FileOp::write && path.filename() == "acks.log" ? ENOSPC : 0;
    };
    {
        auto spool = open_or_fail(options);
        for (int n = 0; n < 3; ++n) {
            REQUIRE(spool->append(message_for("dev", n)).status == AppendStatus::ok);
        }
        REQUIRE(spool->commit());
        const auto taken = spool->take("dev");
        REQUIRE(taken.size() == 3);
        acks_full = true;
        REQUIRE(spool->ack("dev", taken[0].seq));
        spool->write_acks();
        REQUIRE(spool->ack("dev", taken[1].seq));
        spool->write_acks();
        CHECK(spool->counters().io_errors == 2);
        CHECK(log.lines_with("acknowledgements kept in memory") == 1);
        acks_full = false;
        spool->write_acks();
        CHECK(log.lines_with("acknowledgements written to acks.log again") == 1);
        // What follows is as after kill -9: the acks must already be in the file.
        acks_full = true;
    }
    acks_full = false;
    auto reopened = open_or_fail(options);
    const auto left = reopened->take("dev");
    REQUIRE(left.size() == 1);  // the two the hub acknowledged are not sent again
    CHECK(left[0].message.payload == message_for("dev", 2).payload);
}

TEST_CASE("acks.log keeps blocks allocated past its end, for acks during a full disk") {
    ScratchDir dir;
    const auto probe_path = dir.path() / "probe";
    std::string error;
    auto probe = SegmentFile::create(probe_path, error);
    REQUIRE(probe);
    if (!probe->reserve(AckLog::kReserveBytes)) {
        MESSAGE("this file system cannot reserve blocks (fallocate): nothing to check");
        return;
    }
    auto spool = open_or_fail(options_for(dir.path()));
    struct stat info {};
    REQUIRE(::stat((dir.path() / "acks.log").c_str(), &info) == 0);
    CHECK(info.st_size == 0);
    CHECK(static_cast<std::uint64_t>(info.st_blocks) * 512 >= AckLog::kReserveBytes);
}
