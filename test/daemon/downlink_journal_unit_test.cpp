// The C2D journal on its own: what it keeps survives a reopen (a crash), in order, until it is
// published or released; a torn tail and a damaged record do not take other messages with them.
#include <doctest/doctest.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "gateway/core/downlink_journal.hpp"
#include "harness/scratch_dir.hpp"

namespace hubgate::test {

namespace {

using core::DownlinkJournal;

// A private folder removed at the end of the test.
struct JournalFolder {
    ScratchDir scratch{"hubgate-journal-unit"};
    const std::filesystem::path& path = scratch.path();
    std::filesystem::path file() const { return path / "c2d.journal"; }
};

std::unique_ptr<DownlinkJournal> open_journal(const std::filesystem::path& file,
                                              DownlinkJournal::Recovered& recovered) {
    std::string error;
    auto journal = DownlinkJournal::open(file, recovered, error);
    INFO(error);
    REQUIRE(journal);
    return journal;
}

std::string contents(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void overwrite(const std::filesystem::path& file, const std::string& bytes) {
    std::ofstream(file, std::ios::binary | std::ios::trunc) << bytes;
}

const std::string kTopic = "devices/d1/messages/devicebound/%24.mid=m1&mode=eco%2Fnight";

}  // namespace

TEST_CASE("c2d journal: what was kept and not published comes back after a reopen, in order") {
    JournalFolder folder;
    DownlinkJournal::Recovered recovered;
    std::uint64_t first = 0;
    std::uint64_t third = 0;
    {
        auto journal = open_journal(folder.file(), recovered);
        CHECK(recovered.outstanding.empty());
        first = journal->keep("d1", kTopic, "one").value_or(0);
        const auto second = journal->keep("d2", kTopic, "two").value_or(0);
        third = journal->keep("d1", kTopic, std::string("th\0ree", 6)).value_or(0);
        REQUIRE(first != 0);
        CHECK(second > first);
        CHECK(third > second);
        journal->published(second);
        CHECK(journal->outstanding() == 2);
        // Dropped without close: the journal was synced at every keep().
    }
    auto journal = open_journal(folder.file(), recovered);
    REQUIRE(recovered.outstanding.size() == 2);
    CHECK(recovered.outstanding[0].ticket == first);
    CHECK(recovered.outstanding[0].device_id == "d1");
    CHECK(recovered.outstanding[0].topic == kTopic);
    CHECK(recovered.outstanding[0].payload == "one");
    CHECK(recovered.outstanding[1].ticket == third);
    CHECK(recovered.outstanding[1].payload == std::string("th\0ree", 6));
    CHECK(recovered.damaged_records == 0);
    // Tickets are never handed out twice: a "done" for an old one cannot hit a new message.
    const auto next = journal->keep("d3", kTopic, "four").value_or(0);
    CHECK(next > third);
}

TEST_CASE("c2d journal: published and released messages do not come back after a reopen") {
    JournalFolder folder;
    DownlinkJournal::Recovered recovered;
    auto journal = open_journal(folder.file(), recovered);
    const auto a = journal->keep("d1", kTopic, "a").value_or(0);
    const auto b = journal->keep("d1", kTopic, "b").value_or(0);
    journal->published(a);
    journal->release(b);  // dropped on purpose: forgotten the same way
    CHECK(journal->outstanding() == 0);
    journal->published(a);  // a second report changes nothing
    CHECK(journal->counters().kept == 2);
    CHECK(journal->counters().published == 1);
    CHECK(journal->counters().released == 1);
    journal.reset();
    journal = open_journal(folder.file(), recovered);
    CHECK(recovered.outstanding.empty());
    CHECK(journal->file_size() == 0);  // open() keeps only what is outstanding
}

TEST_CASE("c2d journal: a grown file is cut back once nothing is outstanding") {
    JournalFolder folder;
    DownlinkJournal::Recovered recovered;
    auto journal = open_journal(folder.file(), recovered);
    const std::string payload(10 * 1024, 'p');
    std::uint64_t largest = 0;
    for (int i = 0; i < 10; ++i) {
        const auto ticket = journal->keep("d1", kTopic, payload).value_or(0);
        largest = std::max(largest, journal->file_size());
        journal->published(ticket);
    }
    CHECK(largest >= 64 * 1024);
    CHECK(journal->file_size() < 64 * 1024);
}

TEST_CASE("c2d journal: a message never published does not let the file grow without bound") {
    JournalFolder folder;
    DownlinkJournal::Recovered recovered;
    std::uint64_t one_record = 0;
    {
        auto journal = open_journal(folder.file(), recovered);
        journal->keep("stuck", kTopic, "stuck");
        one_record = journal->file_size();
        const std::string payload(16 * 1024, 'p');
        for (int i = 0; i < 40; ++i) {
            journal->published(journal->keep("d1", kTopic, payload).value_or(0));
            CHECK(journal->file_size() < 300 * 1024);
        }
        CHECK(journal->outstanding() == 1);
    }
    auto journal = open_journal(folder.file(), recovered);
    REQUIRE(recovered.outstanding.size() == 1);
    CHECK(recovered.outstanding[0].device_id == "stuck");
    CHECK(journal->file_size() == one_record);
}

TEST_CASE("c2d journal: a torn last record is cut off, the records before it stay") {
    JournalFolder folder;
    DownlinkJournal::Recovered recovered;
    {
        auto journal = open_journal(folder.file(), recovered);
        journal->keep("d1", kTopic, "kept");
        journal->keep("d1", kTopic, "torn");
    }
    const std::string bytes = contents(folder.file());
    // The second record stops half-way, as if the process died inside its write.
    overwrite(folder.file(), bytes.substr(0, bytes.size() - 7));
    auto journal = open_journal(folder.file(), recovered);
    REQUIRE(recovered.outstanding.size() == 1);
    CHECK(recovered.outstanding[0].payload == "kept");
    CHECK(recovered.skipped_bytes > 0);
    CHECK(recovered.damaged_records == 0);
    CHECK_FALSE(std::filesystem::exists(folder.path / "c2d.journal.damaged"));
    // The file now holds exactly the outstanding record.
    CHECK(journal->file_size() == std::filesystem::file_size(folder.file()));
    journal->published(recovered.outstanding[0].ticket);
    CHECK(journal->outstanding() == 0);
}

TEST_CASE("c2d journal: a damaged record in the middle is skipped, the ones after it stay") {
    JournalFolder folder;
    DownlinkJournal::Recovered recovered;
    std::uint64_t size_after_second = 0;
    {
        auto journal = open_journal(folder.file(), recovered);
        journal->keep("d1", kTopic, "first");
        journal->keep("d1", kTopic, "second");
        size_after_second = journal->file_size();
        journal->keep("d1", kTopic, "third");
    }
    std::string bytes = contents(folder.file());
    // One flipped bit in the second record's payload (its last 12 bytes are the source
    // fields): its checksum no longer matches.
    const auto flipped = static_cast<std::size_t>(size_after_second - 14);
    bytes[flipped] = static_cast<char>(bytes[flipped] ^ 0x10);
    overwrite(folder.file(), bytes);
    open_journal(folder.file(), recovered);
    REQUIRE(recovered.outstanding.size() == 2);
    CHECK(recovered.outstanding[0].payload == "first");
    CHECK(recovered.outstanding[1].payload == "third");
    CHECK(recovered.damaged_records == 1);
    CHECK(std::filesystem::exists(folder.path / "c2d.journal.damaged"));
    CHECK(contents(folder.path / "c2d.journal.damaged") == bytes);
}

TEST_CASE("c2d journal: a journal that cannot be written is reported, not crashed on") {
    JournalFolder folder;
    std::filesystem::create_directories(folder.file());  // a directory where the file should be
    DownlinkJournal::Recovered recovered;
    std::string error;
    CHECK_FALSE(DownlinkJournal::open(folder.file(), recovered, error));
    CHECK_FALSE(error.empty());
}

}  // namespace hubgate::test
