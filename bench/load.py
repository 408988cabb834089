"""Load: 16 concurrent clients x 25 mixed requests (ping, models, small/large upscales, cancels).

Checks that every request gets exactly one final reply, prints p50/p99 latency per op, how
often a full queue answered `busy` (and how fast), and the server's memory before and after.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _server import running_process  # noqa: E402

from texforge.protocol.testing.loadgen import MIX, run_load  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--requests", type=int, default=25)
    parser.add_argument("--large", type=int, default=512, help="side of the large upscale's input")
    parser.add_argument("--max-queue", type=int, default=8)
    args = parser.parse_args()
    with running_process("--device", "cpu", "--diagnostic-models", "--max-queue", str(args.max_queue)) as server:
        rss_before = server.rss_mib()
        report = run_load(server.address, args.clients, args.requests, seed=1, large=args.large)
        rss_after = server.rss_mib()
    print(f"{report.sent} requests from {args.clients} clients in {report.seconds:.1f} s")
    for kind in MIX:
        print(f"  {kind:<14} n={len(report.latencies[kind]):3d}  p50 {report.median(kind) * 1e3:8.1f} ms"
              f"  p99 {report.percentile(kind, 0.99) * 1e3:8.1f} ms")
    print(f"  outcomes: {dict(report.outcomes)}")
    print(f"  lost {report.lost}, duplicated {report.duplicated}; server RSS {rss_before:.0f} -> {rss_after:.0f} MiB")
    busy = report.outcomes.get("error:busy", 0)
    print(f"RESULT requests={report.sent} lost={report.lost} duplicated={report.duplicated} busy={busy} "
          f"ping_p50_ms={report.median('ping') * 1e3:.1f} ping_p99_ms={report.percentile('ping', 0.99) * 1e3:.1f} "
          f"large_p50_ms={report.median('large_upscale') * 1e3:.1f} rss_mib={rss_after:.0f}")


if __name__ == "__main__":
    main()
