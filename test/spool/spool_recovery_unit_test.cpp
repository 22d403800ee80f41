// Spool recovery: reopen, torn tails at every offset, CRC corruption, ack-log survival.
#include <doctest/doctest.h>

#include <fstream>

#include "harness/scratch_dir.hpp"
#include "spool_test_support.hpp"

using namespace hubgate::spool;
using namespace hubgate::spool::test;
using hubgate::test::ScratchDir;

namespace {

std::filesystem::path only_segment(const std::filesystem::path& dir) {
    std::filesystem::path found;
    for (const auto& item : std::filesystem::directory_iterator(dir)) {
        if (item.path().extension() == ".seg") {
            REQUIRE(found.empty());
            found = item.path();
        }
    }
    REQUIRE_FALSE(found.empty());
    return found;
}

void copy_dir(const std::filesystem::path& from, const std::filesystem::path& to) {
    std::filesystem::remove_all(to);
    std::filesystem::create_directories(to);
    for (const auto& item : std::filesystem::directory_iterator(from)) {
        std::filesystem::copy_file(item.path(), to / item.path().filename());
    }
}

void flip_byte(const std::filesystem::path& file, std::uint64_t offset) {
    std::fstream stream(file, std::ios::in | std::ios::out | std::ios::binary);
    stream.seekg(static_cast<std::streamoff>(offset));
    char byte = 0;
    stream.read(&byte, 1);
    byte = static_cast<char>(byte ^ 0x5A);
    stream.seekp(static_cast<std::streamoff>(offset));
    stream.write(&byte, 1);
}

std::vector<SpooledMessage> take_all(Spool& spool, const std::string& device) {
    return spool.take(device);
}

}  // namespace

TEST_CASE("reopen keeps unacknowledged messages with their seq and mid, in order") {
    ScratchDir dir;
    auto options = options_for(dir.path());
    options.window = 100;
    std::vector<AppendResult> appended;
    {
        auto spool = open_or_fail(options);
        for (int i = 0; i < 6; ++i) {
            appended.push_back(spool->append(message_for("dev", i)));
        }
        REQUIRE(spool->append(message_for("other", 0)).status == AppendStatus::ok);
        auto taken = spool->take("dev");
        REQUIRE(taken.size() == 6);
        CHECK(spool->ack("dev", appended[0].seq));
        CHECK(spool->ack("dev", appended[3].seq));
        REQUIRE(spool->commit());
    }
    auto spool = open_or_fail(options);
    CHECK(spool->counters().recovered == 5);
    auto taken = take_all(*spool, "dev");
    REQUIRE(taken.size() == 4);
    const int expected[] = {1, 2, 4, 5};
    for (std::size_t i = 0; i < taken.size(); ++i) {
        CHECK(taken[i].seq == appended[expected[i]].seq);
        CHECK(taken[i].mid == appended[expected[i]].mid);
        CHECK(taken[i].message.payload == message_for("dev", expected[i]).payload);
    }
    CHECK(take_all(*spool, "other").size() == 1);
    // New messages continue after the recovered ones.
    auto next = spool->append(message_for("dev", 6));
    CHECK(next.seq > appended.back().seq);
}

TEST_CASE("a torn last record is cut off at every byte offset and earlier records survive") {
    ScratchDir dir;
    auto options = options_for(dir.path());
    std::vector<AppendResult> appended;
    std::uint64_t last_start = 0;
    {
        auto spool = open_or_fail(options);
        appended.push_back(spool->append(message_for("dev", 0)));
        appended.push_back(spool->append(message_for("dev", 1)));
        last_start = spool->counters().bytes;
        appended.push_back(spool->append(message_for("dev", 2)));
    }
    const auto original = dir.path() / "original";
    const auto segment_name = only_segment(dir.path()).filename();
    std::filesystem::create_directories(original);
    for (const auto& item : std::filesystem::directory_iterator(dir.path())) {
        if (item.is_regular_file()) {
            std::filesystem::copy_file(item.path(), original / item.path().filename());
        }
    }
    const auto full_size = std::filesystem::file_size(original / segment_name);
    REQUIRE(full_size > last_start + 20);

    const auto work = dir.path() / "work";
    for (std::uint64_t cut = last_start; cut < full_size; ++cut) {
        CAPTURE(cut);
        copy_dir(original, work);
        std::filesystem::resize_file(work / segment_name, cut);
        auto o = options;
        o.dir = work;
        {
            auto spool = open_or_fail(o);
            CHECK(spool->counters().corrupt == 0);
            CHECK(spool->counters().torn_bytes == cut - last_start);
            CHECK(spool->counters().recovered == 2);
            auto taken = spool->take("dev");
            REQUIRE(taken.size() == 2);
            CHECK(taken[0].mid == appended[0].mid);
            CHECK(taken[1].mid == appended[1].mid);
            REQUIRE(spool->append(message_for("dev", 3)).status == AppendStatus::ok);
        }
        // The repaired spool reopens cleanly with the new message after the survivors.
        auto spool = open_or_fail(o);
        CHECK(spool->counters().torn_bytes == 0);
        CHECK(spool->counters().recovered == 3);
    }
}

TEST_CASE(
    "a record with a bad checksum is detected, counted and skipped while its neighbours survive") {
    ScratchDir dir;
    auto options = options_for(dir.path());
    std::vector<AppendResult> appended;
    std::uint64_t second_start = 0;
    {
        auto spool = open_or_fail(options);
        appended.push_back(spool->append(message_for("dev", 0)));
        second_start = spool->counters().bytes;
        appended.push_back(spool->append(message_for("dev", 1)));
        appended.push_back(spool->append(message_for("dev", 2)));
    }
    flip_byte(only_segment(dir.path()), second_start + 30);  // inside the second body
    auto spool = open_or_fail(options);
    CHECK(spool->counters().corrupt == 1);
    auto taken = spool->take("dev");
    REQUIRE(taken.size() == 2);
    CHECK(taken[0].mid == appended[0].mid);
    CHECK(taken[1].mid == appended[2].mid);
}

TEST_CASE("a record damaged on disk after open is dropped and counted when taken") {
    ScratchDir dir;
    auto options = options_for(dir.path());
    options.keep_in_memory_bytes = 0;  // every take reads the file
    auto spool = open_or_fail(options);
    auto first = spool->append(message_for("dev", 0));
    const auto second_start = spool->counters().bytes.load();
    spool->append(message_for("dev", 1));
    REQUIRE(spool->commit());
    flip_byte(only_segment(dir.path()), second_start + 30);
    auto taken = spool->take("dev");
    REQUIRE(taken.size() == 1);
    CHECK(taken[0].mid == first.mid);
    CHECK(spool->counters().corrupt == 1);
    CHECK(spool->backlog("dev") == 1);
}

TEST_CASE(
    "a message kept in memory is taken without reading its file, a requeued one from the file") {
    ScratchDir dir;
    auto options = options_for(dir.path());
    auto spool = open_or_fail(options);
    auto first = spool->append(message_for("dev", 0, 50));
    spool->append(message_for("dev", 1, 50));
    REQUIRE(spool->commit());
    flip_byte(only_segment(dir.path()), 30);  // inside the first body
    auto taken = spool->take("dev");
    REQUIRE(taken.size() == 2);
    CHECK(taken[0].mid == first.mid);
    CHECK(taken[0].message.payload == message_for("dev", 0, 50).payload);
    CHECK(spool->counters().corrupt == 0);
    // In flight, the message is no longer in memory: handed out again, it comes from the file.
    spool->requeue("dev");
    taken = spool->take("dev");
    REQUIRE(taken.size() == 1);
    CHECK(spool->counters().corrupt == 1);
}

TEST_CASE("a kept message equals what the file gives back") {
    ScratchDir kept_dir;
    ScratchDir read_dir;
    auto clock = std::make_shared<FakeClock>();
    clock->advance(std::chrono::microseconds{1234567});  // not a whole millisecond
    auto kept_options = options_for(kept_dir.path(), clock);
    auto read_options = options_for(read_dir.path(), clock);
    read_options.keep_in_memory_bytes = 0;
    auto kept = open_or_fail(kept_options);
    auto read = open_or_fail(read_options);
    kept->append(message_for("dev", 7, 100));
    read->append(message_for("dev", 7, 100));
    const auto from_memory = kept->take("dev");
    const auto from_file = read->take("dev");
    REQUIRE(from_memory.size() == 1);
    REQUIRE(from_file.size() == 1);
    CHECK(from_memory[0].seq == from_file[0].seq);
    CHECK(from_memory[0].enqueued == from_file[0].enqueued);
    CHECK(from_memory[0].message.device_id == from_file[0].message.device_id);
    CHECK(from_memory[0].message.kind == from_file[0].message.kind);
    CHECK(from_memory[0].message.properties == from_file[0].message.properties);
    CHECK(from_memory[0].message.payload == from_file[0].message.payload);
}

TEST_CASE("messages are kept in memory only up to keep_in_memory_bytes") {
    ScratchDir dir;
    auto options = options_for(dir.path());
    std::uint64_t record_bytes = 0;
    {
        ScratchDir probe_dir;
        auto probe = open_or_fail(options_for(probe_dir.path()));
        probe->append(message_for("dev", 0, 50));
        record_bytes = probe->counters().bytes;
    }
    options.keep_in_memory_bytes = record_bytes;  // room for one
    auto spool = open_or_fail(options);
    auto first = spool->append(message_for("dev", 0, 50));
    spool->append(message_for("dev", 1, 50));
    REQUIRE(spool->commit());
    flip_byte(only_segment(dir.path()), 30);                 // the kept one: not read
    flip_byte(only_segment(dir.path()), record_bytes + 30);  // the second: read, and corrupt
    auto taken = spool->take("dev");
    REQUIRE(taken.size() == 1);
    CHECK(taken[0].mid == first.mid);
    CHECK(spool->counters().corrupt == 1);
    // Taking the first freed its room: the next append is kept again.
    const auto third_start = spool->counters().bytes.load();
    auto third = spool->append(message_for("dev", 2, 50));
    REQUIRE(spool->commit());
    flip_byte(only_segment(dir.path()), third_start + 30);
    REQUIRE(spool->ack("dev", first.seq));
    taken = spool->take("dev");
    REQUIRE(taken.size() == 1);
    CHECK(taken[0].mid == third.mid);
    CHECK(spool->counters().corrupt == 1);
}

TEST_CASE("acks reach acks.log at write_acks(), and a closing spool writes the rest") {
    ScratchDir dir;
    auto options = options_for(dir.path());
    const auto acks_log = dir.path() / "acks.log";
    std::vector<AppendResult> appended;
    {
        auto spool = open_or_fail(options);
        for (int i = 0; i < 3; ++i) {
            appended.push_back(spool->append(message_for("dev", i)));
        }
        spool->take("dev");
        REQUIRE(spool->ack("dev", appended[0].seq));
        REQUIRE(spool->ack("dev", appended[1].seq));
        CHECK(std::filesystem::file_size(acks_log) == 0);
        spool->write_acks();
        CHECK(std::filesystem::file_size(acks_log) == 24);
        REQUIRE(spool->ack("dev", appended[2].seq));
        CHECK(std::filesystem::file_size(acks_log) == 24);
    }
    CHECK(std::filesystem::file_size(acks_log) == 36);
    auto spool = open_or_fail(options);
    CHECK(spool->backlog("dev") == 0);
}

TEST_CASE("acks survive a reopen, and a torn ack-log tail only brings messages back") {
    ScratchDir dir;
    auto options = options_for(dir.path());
    options.window = 100;
    std::vector<AppendResult> appended;
    {
        auto spool = open_or_fail(options);
        for (int i = 0; i < 4; ++i) {
            appended.push_back(spool->append(message_for("dev", i)));
        }
        spool->take("dev");
        CHECK(spool->ack("dev", appended[0].seq));
        CHECK(spool->ack("dev", appended[1].seq));
    }
    // Half an ack entry at the end, as a crash mid-write leaves it.
    {
        std::ofstream acks(dir.path() / "acks.log", std::ios::app | std::ios::binary);
        acks.write("\x07\x00\x00", 3);
    }
    auto spool = open_or_fail(options);
    CHECK(spool->counters().corrupt == 0);
    auto taken = spool->take("dev");
    REQUIRE(taken.size() == 2);
    CHECK(taken[0].mid == appended[2].mid);
    CHECK(taken[1].mid == appended[3].mid);
}

TEST_CASE("the ack log is rewritten so it stays small over many acks") {
    ScratchDir dir;
    auto options = options_for(dir.path());
    options.segment_bytes = 16 << 10;
    options.window = 1;
    auto spool = open_or_fail(options);
    for (int i = 0; i < 8000; ++i) {
        REQUIRE(spool->append(message_for("dev", i)).status == AppendStatus::ok);
        auto taken = spool->take("dev");
        REQUIRE(taken.size() == 1);
        REQUIRE(spool->ack("dev", taken[0].seq));
        if (i % 100 == 99) {
            spool->tidy();  // as the daemon's housekeeping does
        }
    }
    // 8000 acks would be 96 KB; rewrites keep only those of live segments plus 4096 of slack.
    CHECK(std::filesystem::file_size(dir.path() / "acks.log") < 60 * 1024);
    CHECK(count_segments(dir.path()) <= 1);
}

namespace {

// Record boundaries of the spool's only segment, learnt from the byte counter while appending.
struct Written {
    std::vector<AppendResult> appended;
    std::vector<std::uint64_t> starts;  // where each record begins
};

Written append_many(Spool& spool, int count, int first_n = 0) {
    Written written;
    for (int i = 0; i < count; ++i) {
        written.starts.push_back(spool.counters().bytes);
        written.appended.push_back(spool.append(message_for("dev", first_n + i, 40)));
        REQUIRE(written.appended.back().status == AppendStatus::ok);
    }
    REQUIRE(spool.commit());
    return written;
}

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<std::string> taken_mids(Spool& spool, const std::string& device) {
    std::vector<std::string> mids;
    for (auto batch = spool.take(device); !batch.empty(); batch = spool.take(device)) {
        for (const auto& message : batch) {
            mids.push_back(message.mid);
            REQUIRE(spool.ack(device, message.seq));
        }
    }
    return mids;
}

std::vector<std::string> mids_of(const std::vector<AppendResult>& appended, std::size_t from,
                                 std::size_t to) {
    std::vector<std::string> mids;
    for (std::size_t i = from; i < to; ++i) {
        mids.push_back(std::string(appended[i].mid));
    }
    return mids;
}

}  // namespace

TEST_CASE("damage in the middle of the newest segment loses only the damaged records") {
    // Each way of damaging record 3 of 10: its magic, its length (too long, too short), a stretch
    // of zeros across records 3 and 4. Before, a bad header ended the scan and the newest segment
    // was cut there as a torn tail: records 4-9 (or 5-9), stored and acknowledged, were lost.
    struct Damage {
        const char* what;
        std::uint64_t offset_in_record;
        std::string bytes;
        std::size_t lost;  // records 3.. that cannot come back
    };
    const std::vector<Damage> damages = {
        {"magic", 0, std::string("XXXX"), 1},
        {"length too long", 4, std::string("\xff\xff\x00\x00", 4), 1},
        {"length too short", 4, std::string("\x03\x00\x00\x00", 4), 1},
        {"body", 40, std::string("\x00\x01\x02", 3), 1},
        {"zeros across two records", 20, std::string(250, '\0'), 2},
    };
    for (const auto& damage : damages) {
        CAPTURE(damage.what);
        ScratchDir dir;
        const auto options = options_for(dir.path());
        Written written;
        {
            auto spool = open_or_fail(options);
            written = append_many(*spool, 10);
        }
        REQUIRE(written.starts[4] - written.starts[3] < 20 + 250);
        REQUIRE(written.starts[5] - written.starts[3] > 20 + 250);
        const auto segment = only_segment(dir.path());
        {
            std::fstream file(segment, std::ios::in | std::ios::out | std::ios::binary);
            file.seekp(static_cast<std::streamoff>(written.starts[3] + damage.offset_in_record));
            file.write(damage.bytes.data(), static_cast<std::streamsize>(damage.bytes.size()));
        }
        const std::string damaged_bytes = read_file(segment);

        auto spool = open_or_fail(options);
        CHECK(spool->counters().corrupt == 1);
        CHECK(spool->counters().torn_bytes == 0);
        CHECK(spool->counters().damaged_bytes ==
              written.starts[3 + damage.lost] - written.starts[3]);
        CHECK(spool->counters().recovered == 10 - damage.lost);
        std::vector<std::string> expected = mids_of(written.appended, 0, 3);
        const auto after = mids_of(written.appended, 3 + damage.lost, 10);
        expected.insert(expected.end(), after.begin(), after.end());
        CHECK(taken_mids(*spool, "dev") == expected);
        // The damaged file is kept aside as it was found.
        const auto copy = dir.path() / "damaged" / segment.filename();
        REQUIRE(std::filesystem::exists(copy));
        CHECK(read_file(copy) == damaged_bytes);
    }
}

TEST_CASE("damage in an older segment: records after it are delivered, in order") {
    ScratchDir dir;
    const auto options = options_for(dir.path());
    Written first;
    Written second;
    {
        auto spool = open_or_fail(options);
        first = append_many(*spool, 6);
    }
    {
        auto spool = open_or_fail(options);  // a new process appends to a new segment
        second = append_many(*spool, 3, 6);
    }
    std::vector<std::filesystem::path> segments;
    for (const auto& item : std::filesystem::directory_iterator(dir.path())) {
        if (item.path().extension() == ".seg") {
            segments.push_back(item.path());
        }
    }
    std::sort(segments.begin(), segments.end());
    REQUIRE(segments.size() == 2);
    flip_byte(segments[0], first.starts[2]);      // record 2's magic
    flip_byte(segments[0], first.starts[4] + 5);  // record 4's length
    auto spool = open_or_fail(options);
    CHECK(spool->counters().corrupt == 2);
    CHECK(spool->counters().recovered == 7);
    std::vector<std::string> expected;
    for (const std::size_t kept : {0, 1, 3, 5}) {
        expected.emplace_back(first.appended[kept].mid);
    }
    for (const auto& appended : second.appended) {
        expected.emplace_back(appended.mid);
    }
    CHECK(taken_mids(*spool, "dev") == expected);
    CHECK(std::filesystem::exists(dir.path() / "damaged" / segments[0].filename()));
    CHECK_FALSE(std::filesystem::exists(dir.path() / "damaged" / segments[1].filename()));
}

TEST_CASE("a damaged end of an older segment is damage, not a torn tail") {
    ScratchDir dir;
    const auto options = options_for(dir.path());
    Written first;
    {
        auto spool = open_or_fail(options);
        first = append_many(*spool, 4);
    }
    {
        auto spool = open_or_fail(options);
        append_many(*spool, 1, 4);
    }
    std::vector<std::filesystem::path> segments;
    for (const auto& item : std::filesystem::directory_iterator(dir.path())) {
        if (item.path().extension() == ".seg") {
            segments.push_back(item.path());
        }
    }
    std::sort(segments.begin(), segments.end());
    const auto size_before = std::filesystem::file_size(segments[0]);
    flip_byte(segments[0], first.starts[3]);
    auto spool = open_or_fail(options);
    CHECK(spool->counters().corrupt == 1);
    CHECK(spool->counters().torn_bytes == 0);
    CHECK(spool->counters().recovered == 4);
    CHECK(std::filesystem::file_size(segments[0]) == size_before);  // not cut: kept for a look
}

TEST_CASE("a spool left by an older hubgate (format 1 records) drains as typed records") {
    ScratchDir dir;
    {
        std::ofstream segment(dir.path() / "0000000000000001.seg", std::ios::binary);
        segment << format1_record(1, "telemetry", {{"n", "1"}}, "{\"n\":1}")
                << format1_record(2, "twin-get", {{"rid", "5"}, {"reply", "plant/r"}}, "")
                << format1_record(3, "reported", {}, "{\"fw\":\"1\"}");
    }
    auto options = options_for(dir.path());
    auto spool = open_or_fail(options);
    CHECK(spool->counters().corrupt == 0);
    const auto taken = spool->take("site1-line2-s3");
    REQUIRE(taken.size() == 3);
    CHECK(taken[0].message.kind == RecordKind::telemetry);
    CHECK(taken[0].message.properties == Properties{{"n", "1"}});
    CHECK(taken[1].message.kind == RecordKind::twin_get);
    CHECK(taken[1].message.request_id == "5");
    CHECK(taken[1].message.reply_topic == "plant/r");
    CHECK(taken[2].message.kind == RecordKind::reported);
    CHECK(taken[2].message.payload == "{\"fw\":\"1\"}");
    // New records go to a new segment in format 2, after the old seqs.
    const auto appended = spool->append(message_for("site1-line2-s3", 4));
    REQUIRE(appended.status == AppendStatus::ok);
    CHECK(appended.seq == 4);
}
