"""Fuzz corpora at scale: ``fixtures --jobs N`` against ``--jobs 1``, same seed, same bytes.

Each arm is the command a user runs (``inngest-conformance fixtures --valid N --invalid N``),
timed as a whole process.  The figures: wall time per arm, the scaling ratio (``--jobs 1``
time over ``--jobs N`` time, per round, median), and the peak memory of the whole process
tree (the writer and its workers, summed, sampled every 50 ms from ``/proc``), which stays
flat however many records are asked for.  Every round also checks that both arms wrote
the same bytes.

    python benchmarks/bench_corpus.py               # 1,000,000 valid + 1,000,000 invalid
    python benchmarks/bench_corpus.py --n 20000 --rounds 1 --jobs 2
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from _common import emit, fmt_ratio, interleave, machine, median, paired_ratios, table

PAGE = os.sysconf("SC_PAGE_SIZE")


def _tree(pid: int) -> list[int]:
    """``pid`` and every process below it."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += children.get(p, [])
    return out


def _rss(pids: list[int]) -> int:
    total = 0
    for p in pids:
        try:
            total += int(Path(f"/proc/{p}/statm").read_text().split()[1]) * PAGE
        except (OSError, IndexError, ValueError):
            continue
    return total


def run(n: int, jobs: int, seed: int, out: Path) -> dict[str, Any]:
    """One ``fixtures`` run: wall time, peak tree RSS, and a digest of the files."""
    shutil.rmtree(out, ignore_errors=True)
    command = [
        sys.executable,
        "-m",
        "inngest_conformance",
        "fixtures",
        "--valid",
        str(n),
        "--invalid",
        str(n),
        "--seed",
        str(seed),
        "--out",
        str(out),
        "--jobs",
        str(jobs),
    ]
    peak = 0
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.wait(0.05):
            peak = max(peak, _rss(_tree(proc.pid)))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    code = proc.wait()
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    if code != 0:
        raise SystemExit(f"fixtures --jobs {jobs} exited with status {code}")
    digest = hashlib.sha256()
    for name in ("valid.jsonl", "invalid.jsonl"):
        with open(out / name, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    return {
        "rate": 2 * n / wall,
        "wall_s": wall,
        "peak_rss_mib": peak / 2**20,
        "sha256": digest.hexdigest(),
        "show": f"{wall:7.1f} s  peak {peak / 2**20:6.0f} MiB",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="valid and invalid records each")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-corpus-"))
    try:
        print(f"fixtures --valid {args.n} --invalid {args.n}: --jobs 1 vs --jobs {args.jobs}")
        results = interleave(
            args.rounds,
            {
                "--jobs 1": lambda r: run(args.n, 1, args.seed, tmp / "one"),
                f"--jobs {args.jobs}": lambda r: run(args.n, args.jobs, args.seed, tmp / "many"),
            },
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    one, many = results["--jobs 1"], results[f"--jobs {args.jobs}"]
    same = {r["sha256"] for r in one} == {r["sha256"] for r in many} and len(
        {r["sha256"] for r in one}
    ) == 1
    scaling = median(paired_ratios([r["wall_s"] for r in one], [r["wall_s"] for r in many]))
    rows = []
    for name, rs in (("--jobs 1", one), (f"--jobs {args.jobs}", many)):
        wall = median([r["wall_s"] for r in rs])
        rate = median([r["rate"] for r in rs])
        peak = max(r["peak_rss_mib"] for r in rs)
        rows.append([name, f"{wall:.1f} s", f"{rate:,.0f}/s", f"{peak:.0f} MiB"])
    print()
    print(table(["arm", "wall", "records/s", "peak RSS (tree)"], rows))
    print(f"scaling (--jobs 1 time / --jobs {args.jobs} time): {fmt_ratio(scaling)}")
    print(f"same bytes: {'yes' if same else 'NO'}")
    if not same:
        raise SystemExit("--jobs wrote other bytes than --jobs 1")
    emit(
        {
            "benchmark": "corpus",
            "machine": machine(),
            "n": args.n,
            "jobs": args.jobs,
            "scaling": scaling,
            "wall_s": [median([r["wall_s"] for r in rs]) for rs in (one, many)],
            "peak_rss_mib": [max(r["peak_rss_mib"] for r in rs) for rs in (one, many)],
            "same_bytes": same,
        }
    )


if __name__ == "__main__":
    main()
