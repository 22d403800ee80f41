#include "gateway/trace/latency_trace.hpp"

#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <string>
#include <utility>

namespace hubgate::trace {
namespace {

struct TraceEvent {
    std::int64_t ns = 0;  // CLOCK_REALTIME, the clock of the benchmark's payload stamps
    std::uint64_t key = 0;
    std::uint64_t aux = 0;
    const void* context = nullptr;
    Point point = Point::published;
};

// A 4-second latency run at ~6,000 msg/s leaves ~250,000 events; the throughput runs before it
// are overwritten.
constexpr std::size_t kTraceCapacity = std::size_t{1} << 21;

constexpr std::array<const char*, 20> kPointNames = {
    "published",          "local_read",       "spool_append",       "commit_released",
    "sender_take",        "publish_call",     "tls_written",        "hub_puback",
    "sync_start",         "sync_end",         "tidy_start",         "tidy_end",
    "acks_write_start",   "acks_write_end",   "segment_roll_start", "segment_roll_end",
    "atomic_write_start", "atomic_write_end", "read_paused",        "read_resumed"};

std::int64_t trace_now_ns() noexcept {
    timespec now{};
    ::clock_gettime(CLOCK_REALTIME, &now);
    return std::int64_t{now.tv_sec} * 1'000'000'000 + now.tv_nsec;
}

// Written at exit, when the threads that record have stopped (or no longer matter).
class TraceRing {
  public:
    TraceRing() : events_(std::make_unique<TraceEvent[]>(kTraceCapacity)) {}
    ~TraceRing() { dump(); }
    TraceRing(const TraceRing&) = delete;
    TraceRing& operator=(const TraceRing&) = delete;

    void add(const TraceEvent& event) noexcept {
        const std::uint64_t at = next_.fetch_add(1, std::memory_order_relaxed);
        events_[at % kTraceCapacity] = event;
    }

    bool write(const std::string& path) const {
        std::FILE* out = std::fopen(path.c_str(), "w");
        if (out == nullptr) {
            return false;
        }
        const std::uint64_t end = next_.load();
        const std::uint64_t begin = end > kTraceCapacity ? end - kTraceCapacity : 0;
        std::fprintf(out, "ns\tpoint\tkey\taux\tcontext\n");
        for (std::uint64_t at = begin; at < end; ++at) {
            const TraceEvent& event = events_[at % kTraceCapacity];
            std::fprintf(out, "%lld\t%s\t%llu\t%llu\t%p\n", static_cast<long long>(event.ns),
                         kPointNames.at(static_cast<std::size_t>(event.point)),
                         static_cast<unsigned long long>(event.key),
                         static_cast<unsigned long long>(event.aux), event.context);
        }
        return std::fclose(out) == 0;
    }

  private:
    void dump() const {
        const char* base = std::getenv("HUBGATE_LATENCY_TRACE_FILE");
        if (base != nullptr && *base != '\0') {
            write(std::string(base) + "." + std::to_string(::getpid()) + ".tsv");
        }
    }

    std::unique_ptr<TraceEvent[]> events_;
    std::atomic<std::uint64_t> next_{0};
};

TraceRing& trace_ring() {
    static TraceRing ring;
    return ring;
}

thread_local std::int64_t local_read_ns = 0;

// The benchmark's publishers open each payload with "t=<µs since the epoch>;".
std::int64_t publisher_stamp_ns(std::string_view payload) noexcept {
    if (payload.size() < 3 || payload[0] != 't' || payload[1] != '=') {
        return 0;
    }
    std::int64_t us = 0;
    for (std::size_t i = 2; i < payload.size() && payload[i] != ';'; ++i) {
        if (payload[i] < '0' || payload[i] > '9') {
            return 0;
        }
        us = us * 10 + (payload[i] - '0');
    }
    return us * 1000;
}

}  // namespace

void record(Point point, std::uint64_t key, std::uint64_t aux, const void* context) noexcept {
    trace_ring().add(TraceEvent{trace_now_ns(), key, aux, context, point});
}

bool write_events(const std::string& path) {
    return trace_ring().write(path);
}

void note_local_read() noexcept {
    local_read_ns = trace_now_ns();
}

void appended(std::uint64_t seq, std::string_view payload) noexcept {
    TraceRing& ring = trace_ring();
    if (const std::int64_t stamp = publisher_stamp_ns(payload); stamp != 0) {
        ring.add(TraceEvent{stamp, seq, 0, nullptr, Point::published});
    }
    if (local_read_ns != 0) {
        ring.add(TraceEvent{std::exchange(local_read_ns, 0), seq, 0, nullptr, Point::local_read});
    }
    ring.add(TraceEvent{trace_now_ns(), seq, 0, nullptr, Point::spool_append});
}

}  // namespace hubgate::trace
