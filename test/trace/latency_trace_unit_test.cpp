// The latency trace (gateway/trace/latency_trace.hpp): what a benchmark's report joins must be in
// the file, keyed as documented.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gateway/trace/latency_trace.hpp"
#include "harness/scratch_dir.hpp"

namespace {

std::vector<std::string> trace_lines(const std::string& path) {
    std::ifstream in(path);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) {
        lines.push_back(line);
    }
    return lines;
}

bool has_line_starting(const std::vector<std::string>& lines, const std::string& start) {
    for (const auto& line : lines) {
        if (line.rfind(start, 0) == 0) {
            return true;
        }
    }
    return false;
}

bool has_line_containing(const std::vector<std::string>& lines, const std::string& part) {
    for (const auto& line : lines) {
        if (line.find(part) != std::string::npos) {
            return true;
        }
    }
    return false;
}

}  // namespace

TEST_CASE("an appended message leaves its publisher stamp, local read and append under its seq") {
    hubgate::test::ScratchDir dir("hubgate-trace");
    hubgate::trace::note_local_read();
    hubgate::trace::appended(4242, "t=1700000000123456;xxxxxxxx");
    hubgate::trace::appended(4243, "no stamp here");
    const std::string path = (dir.path() / "trace.tsv").string();
    REQUIRE(hubgate::trace::write_events(path));

    const auto lines = trace_lines(path);
    REQUIRE_FALSE(lines.empty());
    CHECK(lines.front() == "ns\tpoint\tkey\taux\tcontext");
    // The stamp is in µs; the trace keeps ns.
    CHECK(has_line_starting(lines, "1700000000123456000\tpublished\t4242\t"));
    CHECK(has_line_containing(lines, "\tlocal_read\t4242\t"));
    CHECK(has_line_containing(lines, "\tspool_append\t4242\t"));
    // No stamp, no published event; the local read was taken by the first message.
    CHECK_FALSE(has_line_containing(lines, "\tpublished\t4243\t"));
    CHECK_FALSE(has_line_containing(lines, "\tlocal_read\t4243\t"));
    CHECK(has_line_containing(lines, "\tspool_append\t4243\t"));
}

TEST_CASE("housekeeping events keep their key and second value") {
    hubgate::test::ScratchDir dir("hubgate-trace");
    HUBGATE_TRACE(hubgate::trace::Point::sync_start, 100, 164);
    HUBGATE_TRACE(hubgate::trace::Point::sync_end, 0, 1);
    const std::string path = (dir.path() / "trace.tsv").string();
    REQUIRE(hubgate::trace::write_events(path));

    const auto lines = trace_lines(path);
    CHECK(has_line_containing(lines, "\tsync_start\t100\t164\t"));
    CHECK(has_line_containing(lines, "\tsync_end\t0\t1\t"));
}

TEST_CASE("a trace file that cannot be written is reported") {
    CHECK_FALSE(hubgate::trace::write_events("/nonexistent-folder-of-hubgate/trace.tsv"));
}
