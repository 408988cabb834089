"""Soak: N clients of mixed traffic for a given time against one real `texforge serve`.

The mix (x2 upscales and tileable x4 upscales of random 32-256 px images, 1-shot materials,
pings) runs on the shipped models. Every `--sample-every` seconds the server's RSS (from
/proc) and its Python object count (from `hello`) are printed. The growth is RSS at the end
over RSS at `--reference` minutes (5 by default: after warm-up, when every kernel has run).

    python bench/soak.py --minutes 20 --clients 4
    python bench/soak.py --minutes 6 --reference 2 --server-env MALLOC_ARENA_MAX=2   # an experiment
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _server import running_process  # noqa: E402

from texforge.protocol.client import Client  # noqa: E402
from texforge.protocol.testing.soak import SOAK_MIX, SoakReport, run_soak  # noqa: E402


def _native_breakdown(pid: int) -> str:
    """Resident MiB of the heap, anonymous mappings (glibc arenas, torch buffers) and files."""
    totals = {"heap": 0, "anon": 0, "file": 0}
    current = "anon"
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        fields = line.split()
        if fields and "-" in fields[0] and len(fields) >= 5:
            name = fields[5] if len(fields) > 5 else ""
            current = "heap" if name == "[heap]" else "file" if name.startswith("/") else "anon"
        elif fields and fields[0] == "Rss:":
            totals[current] += int(fields[1])
    return " ".join(f"{key} {kib / 1024:.0f}" for key, kib in totals.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=20.0)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--reference", type=float, default=5.0, help="minutes: the RSS growth is measured from here")
    parser.add_argument("--sample-every", type=float, default=30.0, help="seconds between RSS samples")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--threads", type=int, default=0, help="the server's torch threads (0: its default)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--server-env", action="append", default=[], metavar="NAME=VALUE",
                        help="environment of the server process (experiments, e.g. MALLOC_ARENA_MAX=2)")
    args = parser.parse_args()
    extra = ["--device", "cpu", "--workers", str(args.workers)]
    if args.threads:
        extra += ["--threads", str(args.threads)]
    env = dict(item.split("=", 1) for item in args.server_env)
    samples: list[tuple[float, float]] = []
    with running_process(*extra, env=env) as server, Client(server.address) as probe:
        idle = server.rss_mib()
        print(f"server pid {server.pid}, idle RSS {idle:.0f} MiB ({_native_breakdown(server.pid)})", flush=True)

        def sample(elapsed: float) -> None:
            rss = server.rss_mib()
            samples.append((elapsed, rss))
            objects = probe.hello()["memory"]["python_objects"]
            print(f"  {elapsed / 60:6.1f} min  {report.requests:6d} requests  RSS {rss:7.1f} MiB  python objects {objects}  "
                  f"[{_native_breakdown(server.pid)}]", flush=True)

        report = SoakReport()
        run_soak(server.address, args.clients, args.minutes * 60, args.seed, on_tick=sample,
                 tick_s=args.sample_every, report=report)
        alive = server.process.poll() is None
    reference = next((rss for elapsed, rss in samples if elapsed >= args.reference * 60), samples[0][1])
    final = samples[-1][1]
    errors = sum(report.errors.values())
    print(f"{report.requests} requests from {args.clients} clients in {args.minutes:g} min; errors {dict(report.errors)}")
    for kind in SOAK_MIX:
        print(f"  {kind:<20} n={len(report.latencies[kind]):5d}  p50 {report.median(kind) * 1e3:8.1f} ms"
              f"  p99 {report.percentile(0.99, kind) * 1e3:8.1f} ms")
    print(f"RSS idle {idle:.0f} MiB, at {args.reference:g} min {reference:.0f} MiB, end {final:.0f} MiB"
          f"{'' if alive else ' (server died)'}")
    print(f"RESULT requests={report.requests} errors={errors} p50_ms={report.median() * 1e3:.1f} "
          f"p99_ms={report.percentile(0.99) * 1e3:.1f} rss_idle_mib={idle:.0f} rss_ref_mib={reference:.0f} "
          f"rss_end_mib={final:.0f} rss_growth={final / reference:.3f} alive={int(alive)}")


if __name__ == "__main__":
    main()
