"""Fuzz a live server with >= 10,000 mutated messages; check answers, hangs and memory."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _server import running_process  # noqa: E402

from texforge.protocol import Client  # noqa: E402
from texforge.protocol.testing.fuzz import run_fuzz  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with running_process("--device", "cpu", "--diagnostic-models") as server:
        run_fuzz(server.address, 300, seed=args.seed + 1)  # warm-up: imports, allocator pools
        baseline = server.rss_mib()
        report = run_fuzz(server.address, args.count, seed=args.seed)
        after = server.rss_mib()
        with Client(server.address) as client:
            alive = client.ping() < 1.0
        exit_status = server.process.poll()
    growth = (after - baseline) / baseline * 100
    errors = sum(n for outcome, n in report.outcomes.items() if outcome.startswith("error:"))
    print(f"{report.sent} messages in {report.seconds:.1f} s ({report.sent / report.seconds:.0f}/s)")
    print(f"  outcomes: {dict(sorted(report.outcomes.items()))}")
    print(f"  server alive: {alive and exit_status is None}; RSS {baseline:.1f} -> {after:.1f} MiB ({growth:+.1f}%)")
    print(f"RESULT messages={report.sent} errors={errors} results={report.outcomes['result']} "
          f"dropped={report.outcomes['dropped']} hangs={report.hangs} internal={report.outcomes['error:internal']} "
          f"crashes={0 if alive and exit_status is None else 1} rss_growth_pct={growth:.1f}")


if __name__ == "__main__":
    main()
