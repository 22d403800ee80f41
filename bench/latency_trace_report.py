#!/usr/bin/env python3
"""Reads a latency trace of `hubgate run` (gateway/trace/latency_trace.hpp) and says where the
slowest messages spent their time and what ran meanwhile (BENCHMARKS.md, "Tracing the added
latency").

    bench/latency_trace_report.py TRACE.tsv [--last SECONDS] [--slowest N]

Only messages the benchmark's publishers stamped ("t=<µs>;" payloads) and published within the
trace's last SECONDS (default 4.5: the paced latency run, which comes last) are counted.
"""

import argparse
import bisect
import collections
import csv
import sys

STAGES = [
    # (name, from point, to point)
    ("broker+wait to read", "published", "local_read"),
    ("pipeline+append", "local_read", "spool_append"),
    ("append to sender", "spool_append", "sender_take"),
    ("sender to session", "sender_take", "publish_call"),
    ("session to TLS write", "publish_call", "tls_written"),
]
HOUSEKEEPING = [
    ("sync", "sync_start", "sync_end"),
    ("tidy", "tidy_start", "tidy_end"),
    ("acks write", "acks_write_start", "acks_write_end"),
    ("segment roll", "segment_roll_start", "segment_roll_end"),
    ("atomic file write", "atomic_write_start", "atomic_write_end"),
    ("reading paused", "read_paused", "read_resumed"),
]


def percentile(values, fraction):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def load(path):
    events = []
    with open(path, newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            events.append((int(row["ns"]), row["point"], int(row["key"]), int(row["aux"]),
                           row["context"]))
    events.sort(key=lambda event: event[0])
    return events


def intervals(events, start, end):
    """(start ns, end ns, start key, start aux) of each start/end pair, paired in time order
    (each kind runs on one thread at a time)."""
    out = []
    open_at = None
    for ns, point, key, aux, _ in events:
        if point == start:
            open_at = (ns, key, aux)
        elif point == end and open_at is not None:
            out.append((open_at[0], ns, open_at[1], open_at[2]))
            open_at = None
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trace")
    parser.add_argument("--last", type=float, default=4.5)
    parser.add_argument("--slowest", type=int, default=15)
    args = parser.parse_args()

    events = load(args.trace)
    messages = collections.defaultdict(dict)  # seq -> point -> ns
    tag_to_seq = {}
    for ns, point, key, aux, context in events:
        if point in ("published", "local_read", "spool_append", "sender_take"):
            messages[key].setdefault(point, ns)
        elif point == "publish_call":
            messages[key].setdefault(point, ns)
            tag_to_seq[(context, aux)] = key
        elif point in ("tls_written", "hub_puback"):
            seq = tag_to_seq.get((context, key))
            if seq is not None:
                messages[seq].setdefault(point, ns)
                if point == "tls_written" and aux:
                    messages[seq]["queued"] = 1

    syncs = intervals(events, "sync_start", "sync_end")
    releases = [ns for ns, point, *_ in events if point == "commit_released"]
    for first_ns, end_ns, first_seq, end_seq in syncs:
        at = bisect.bisect_left(releases, end_ns)
        released = releases[at] if at < len(releases) else None
        for seq in range(first_seq, end_seq):
            if seq in messages:
                messages[seq]["sync_end"] = end_ns
                if released is not None:
                    messages[seq]["released"] = released

    stamped = [m for m in messages.values() if "published" in m and "tls_written" in m]
    if not stamped:
        sys.exit("no stamped message went all the way to the TLS write in this trace")
    last = max(m["published"] for m in stamped)
    window = [m for m in stamped if m["published"] >= last - args.last * 1e9]
    total = [(m["tls_written"] - m["published"]) / 1e6 for m in window]
    print(f"{len(window)} messages published in the last {args.last} s of the trace")
    print(f"publish -> TLS write: p50 {percentile(total, 0.5):.2f} ms, "
          f"p99 {percentile(total, 0.99):.2f} ms, max {max(total):.2f} ms")
    p99 = percentile(total, 0.99)
    slow = [m for m in window if (m["tls_written"] - m["published"]) / 1e6 >= p99]

    print("\nstage                     all p50   all p99   slow (>= p99) mean ms")
    for name, start, end in STAGES:
        every = [(m[end] - m[start]) / 1e6 for m in window if start in m and end in m]
        slow_values = [(m[end] - m[start]) / 1e6 for m in slow if start in m and end in m]
        mean = sum(slow_values) / len(slow_values) if slow_values else float("nan")
        print(f"  {name:22s} {percentile(every, 0.5):8.2f}  {percentile(every, 0.99):8.2f}  "
              f"{mean:8.2f}")
    hub = [(m["hub_puback"] - m["tls_written"]) / 1e6 for m in window if "hub_puback" in m]
    print(f"  {'TLS write to hub PUBACK':22s} {percentile(hub, 0.5):8.2f}  "
          f"{percentile(hub, 0.99):8.2f}")
    release = [(m["released"] - m["spool_append"]) / 1e6 for m in window
               if "released" in m and "spool_append" in m]
    print(f"  {'append to PUBACK release':22s} {percentile(release, 0.5):8.2f}  "
          f"{percentile(release, 0.99):8.2f}   (not on the path to the hub)")

    begin_ns = min(m["published"] for m in window)
    end_ns = max(m["tls_written"] for m in window)
    print("\nhousekeeping in the window: count, p50 / max ms")
    spans = {}
    for name, start, end in HOUSEKEEPING:
        found = [(a, b) for a, b, *_ in intervals(events, start, end) if b >= begin_ns and a <= end_ns]
        spans[name] = found
        lengths = [(b - a) / 1e6 for a, b in found]
        if lengths:
            print(f"  {name:18s} {len(lengths):5d}  {percentile(lengths, 0.5):7.2f} / "
                  f"{max(lengths):7.2f}")
        else:
            print(f"  {name:18s}     0")

    # While a batch syncs, the local link does not read: a message published meanwhile waits
    # in the local broker (its in-flight window to hubgate is full) until the sync ends.
    waited = 0
    longest = 0.0
    for m in slow:
        overlapping = [(b - a) / 1e6 for a, b in spans["sync"]
                       if "local_read" in m and b >= m["published"] and a <= m["local_read"]
                       and b - a >= 5e6]
        if overlapping:
            waited += 1
            longest = max(longest, max(overlapping))
    print(f"\nslow messages (>= p99) that waited to be read while a batch synced for 5 ms or more: "
          f"{waited} of "
          f"{len(slow)}; the longest of those syncs {longest:.1f} ms")

    reads = sorted(m["local_read"] for m in window if "local_read" in m)
    gaps = sorted(((b - a) / 1e6, a) for a, b in zip(reads, reads[1:]))[-5:]
    print("\nlongest gaps between local reads (ms, at s into the window): " +
          ", ".join(f"{gap:.1f} @{(at - begin_ns) / 1e9:.2f}" for gap, at in reversed(gaps)))

    print(f"\nslowest {args.slowest}: ms into the window, per-stage ms, what overlapped")
    for m in sorted(window, key=lambda m: m["published"] - m["tls_written"])[:args.slowest]:
        parts = []
        for name, start, end in STAGES:
            if start in m and end in m:
                parts.append(f"{(m[end] - m[start]) / 1e6:.1f}")
            else:
                parts.append("-")
        overlapping = []
        for name, found in spans.items():
            lengths = [(b - a) / 1e6 for a, b in found
                       if b >= m["published"] and a <= m["tls_written"]]
            if lengths:
                overlapping.append(f"{name} x{len(lengths)} max {max(lengths):.1f} "
                                   f"sum {sum(lengths):.1f} ms")
        total_ms = (m["tls_written"] - m["published"]) / 1e6
        print(f"  {(m['published'] - begin_ns) / 1e9:7.3f}s  total {total_ms:6.1f}  "
              f"[{' / '.join(parts)}]{' queued' if m.get('queued') else ''}  "
              f"{'; '.join(overlapping) or '-'}")


if __name__ == "__main__":
    main()
