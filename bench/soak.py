"""Soak: N clients of mixed traffic for a given time against one real `texforge serve`.

The mix (x2 upscales and tileable x4 upscales of random 32-256 px images, 1-shot materials,
pings) runs on the shipped models. The server's RSS (from /proc) is sampled every 2 s while the
load runs; every `--print-every` seconds the median of the last minute's samples is printed with
the server's Python object count (from `hello`) and where the resident memory lies (brk heap,
anonymous mappings: glibc arenas and large buffers, files). RSS swings by tens of MiB with the
images in flight, so the growth compares minute medians under load: the last minute's over
the minute before `--reference` minutes (5 by default: after warm-up, when every kernel ran).

    python bench/soak.py --minutes 20 --clients 4
    python bench/soak.py --minutes 6 --reference 2 --server-env MALLOC_ARENA_MAX=2   # an experiment
"""

from __future__ import annotations

import argparse
import statistics
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


def _window_median(samples: list[tuple[float, float]], end_s: float, window_s: float = 60.0) -> float:
    """Median RSS of the samples in the `window_s` seconds up to `end_s`."""
    window = [rss for elapsed, rss in samples if end_s - window_s <= elapsed <= end_s]
    return statistics.median(window) if window else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=20.0)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--reference", type=float, default=5.0, help="minutes: the RSS growth is measured from here")
    parser.add_argument("--print-every", type=float, default=60.0, help="seconds between printed samples")
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
    printed = [0.0]
    with running_process(*extra, env=env) as server, Client(server.address) as probe:
        idle = server.rss_mib()
        print(f"server pid {server.pid}, idle RSS {idle:.0f} MiB ({_native_breakdown(server.pid)})", flush=True)

        def sample(elapsed: float) -> None:
            if elapsed > args.minutes * 60:
                return  # the clients are finishing: no longer under load
            samples.append((elapsed, server.rss_mib()))
            if elapsed - printed[0] >= args.print_every:
                printed[0] = elapsed
                objects = probe.hello().get("memory", {}).get("python_objects", "?")  # "?": a server before 1.3
                print(f"  {elapsed / 60:6.1f} min  {report.requests:6d} requests  RSS (minute median) "
                      f"{_window_median(samples, elapsed):7.1f} MiB  python objects {objects}  "
                      f"[{_native_breakdown(server.pid)}]", flush=True)

        report = SoakReport()
        run_soak(server.address, args.clients, args.minutes * 60, args.seed, on_tick=sample, tick_s=2.0,
                 report=report)
        alive = server.process.poll() is None
    reference = _window_median(samples, min(args.reference, args.minutes) * 60)
    final = _window_median(samples, samples[-1][0])
    peak = max(rss for _, rss in samples)
    errors = sum(report.errors.values())
    print(f"{report.requests} requests from {args.clients} clients in {args.minutes:g} min; errors {dict(report.errors)}")
    for kind in SOAK_MIX:
        print(f"  {kind:<20} n={len(report.latencies[kind]):5d}  p50 {report.median(kind) * 1e3:8.1f} ms"
              f"  p99 {report.percentile(0.99, kind) * 1e3:8.1f} ms")
    print(f"RSS (minute medians under load) idle {idle:.0f} MiB, at {args.reference:g} min {reference:.0f} MiB, "
          f"end {final:.0f} MiB, peak sample {peak:.0f} MiB{'' if alive else ' (server died)'}")
    print(f"RESULT requests={report.requests} errors={errors} p50_ms={report.median() * 1e3:.1f} "
          f"p99_ms={report.percentile(0.99) * 1e3:.1f} rss_idle_mib={idle:.0f} rss_ref_mib={reference:.0f} "
          f"rss_end_mib={final:.0f} rss_peak_mib={peak:.0f} rss_growth={final / reference:.3f} alive={int(alive)}")


if __name__ == "__main__":
    main()
