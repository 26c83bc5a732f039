"""Soak: ``certify --profile certify`` against the reference behind the wire protocol, round
after round, watching the kit's memory and what it leaves behind.

One round certifies
``python -m inngest_conformance.harness --target inngest_conformance.reference:validator``
(role validator) and then ``--target inngest_conformance.reference:store`` (role lifecycle), each
driven in-process through ``open_adapter(command=...)`` and ``certify_adapter`` exactly as
the command line drives them (a fresh harness process per run).  After every requirement
(the ``listener`` hook) the kit's resident set (``VmRSS`` in ``/proc/self/status``) and the
harness child's are sampled and the cases counted.

The first round is the warm-up: imports and the first use of every generator grow the heap
once; Hypothesis's bounded caches (strategies, pooled constraints) then keep filling for a
few more rounds before memory levels off.  Printed: the kit's RSS at the start, after the
warm-up round and at the end, and its maximum per round; the least-squares slope of RSS
against cases judged after the warm-up and over the second half of the rounds (flat
memory: about zero); total cases and cases/s; then open file descriptors,
threads and child processes before and after (``/proc/self/fd``, and a scan of ``/proc``
for processes whose parent is this one).  The last line is the result as JSON.

Nothing here is a test, but the script exits 1 if anything leaked (more fds, threads or
children afterwards than before) or a run was not conformant.

    python benchmarks/soak.py [--profile certify] [--rounds 3] [--seed 0] [--json FILE]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shlex
import statistics
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from inngest_conformance._adapters import Adapter, open_adapter
from inngest_conformance._engine import Result
from inngest_conformance._requirements import Requirement
from inngest_conformance._run import certify_adapter

ROLES = {
    "validator": "inngest_conformance.reference:validator",
    "lifecycle": "inngest_conformance.reference:store",
}


def rss_kib(pid: int | str = "self") -> int:
    """Resident set size of a process in KiB (0 if it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def child_processes() -> list[int]:
    """Live processes whose parent is this process (zombies excluded)."""
    me = os.getpid()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == me and fields[0] not in ("Z", "X"):
            found.append(int(entry.name))
    return sorted(found)


@dataclass(frozen=True)
class Leftovers:
    """What a process holds that a run could leak."""

    fds: int
    threads: int
    children: tuple[int, ...]

    @classmethod
    def now(cls) -> Leftovers:
        return cls(open_fds(), threading.active_count(), tuple(child_processes()))

    def exceeds(self, other: Leftovers) -> bool:
        return (
            self.fds > other.fds
            or self.threads > other.threads
            or len(self.children) > len(other.children)
        )

    def to_json(self) -> dict[str, int]:
        return {"fds": self.fds, "threads": self.threads, "children": len(self.children)}

    def __str__(self) -> str:
        shown = f" {list(self.children)}" if self.children else ""
        return f"{self.fds} fds, {self.threads} threads, {len(self.children)} children{shown}"


@dataclass(frozen=True)
class Sample:
    round: int
    role: str
    requirement: str
    outcome: str
    cases: int  # cumulative over the whole soak
    elapsed_s: float
    kit_rss_kib: int
    harness_rss_kib: int


@dataclass
class Soak:
    started: float = field(default_factory=time.perf_counter)
    cases: int = 0
    samples: list[Sample] = field(default_factory=list)

    def listener(
        self, round_no: int, role: str, adapter: Adapter
    ) -> Callable[[str, Requirement, Result | None], None]:
        def hear(event: str, req: Requirement, result: Result | None) -> None:
            if event != "finish" or result is None:
                return
            self.cases += result.examples
            pid = getattr(adapter, "pid", None)
            sample = Sample(
                round_no,
                role,
                req.id,
                result.outcome,
                self.cases,
                round(time.perf_counter() - self.started, 3),
                rss_kib(),
                rss_kib(pid) if pid else 0,
            )
            self.samples.append(sample)
            print(
                f"  r{round_no} {role:<9} {req.id:<46} {result.outcome:<7} "
                f"{result.examples:>5} cases  kit {sample.kit_rss_kib / 1024:6.1f} MiB  "
                f"harness {sample.harness_rss_kib / 1024:5.1f} MiB",
                flush=True,
            )

        return hear


def slope_kib_per_1000_cases(samples: list[Sample]) -> float:
    if len(samples) < 2:
        return 0.0
    xs = [s.cases / 1000 for s in samples]
    ys = [float(s.kit_rss_kib) for s in samples]
    return float(statistics.linear_regression(xs, ys).slope)


def mib(kib: float) -> float:
    return round(kib / 1024, 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--profile", default="certify", choices=("quick", "standard", "certify"))
    parser.add_argument("--rounds", type=int, default=3, help="the first one is the warm-up")
    parser.add_argument("--seed", type=int, default=0, help="round r uses seed + r - 1")
    parser.add_argument("--roles", nargs="+", default=list(ROLES), choices=list(ROLES))
    parser.add_argument("--json", metavar="FILE", help="also write the result, samples included")
    args = parser.parse_args(argv)
    if args.rounds < 2:
        parser.error("--rounds must be at least 2: the first round is the warm-up")

    gc.collect()
    before = Leftovers.now()
    start_rss = rss_kib()
    soak = Soak()
    verdicts: list[str] = []
    warm_rss = 0
    print(f"soak: profile {args.profile}, {args.rounds} rounds, kit pid {os.getpid()}", flush=True)
    for round_no in range(1, args.rounds + 1):
        for role in args.roles:
            argv_ = [sys.executable, "-m", "inngest_conformance.harness", "--target", ROLES[role]]
            adapter = open_adapter(
                command=shlex.join(argv_), request_timeout=30.0, startup_timeout=30.0
            )
            try:
                cert = certify_adapter(
                    adapter,
                    role=role,
                    profile=args.profile,
                    seed=args.seed + round_no - 1,
                    listener=soak.listener(round_no, role, adapter),
                )
            finally:
                adapter.close()
            verdicts.append(cert.verdict)
        if round_no == 1:
            warm_rss = rss_kib()
    elapsed = time.perf_counter() - soak.started
    gc.collect()
    end_rss = rss_kib()
    after = Leftovers.now()

    steady = [s for s in soak.samples if s.round > 1]
    late = [s for s in soak.samples if s.round > max(1, args.rounds // 2)]
    per_round = {
        r: mib(max(s.kit_rss_kib for s in soak.samples if s.round == r))
        for r in range(1, args.rounds + 1)
    }
    result: dict[str, Any] = {
        "profile": args.profile,
        "rounds": args.rounds,
        "roles": args.roles,
        "requirements_run": len(soak.samples),
        "cases": soak.cases,
        "seconds": round(elapsed, 1),
        "cases_per_s": round(soak.cases / elapsed, 1),
        "kit_rss_mib": {
            "start": mib(start_rss),
            "after_warmup": mib(warm_rss),
            "end": mib(end_rss),
            "max_per_round": per_round,
            "slope_kib_per_1000_cases_after_warmup": round(slope_kib_per_1000_cases(steady), 2),
            "slope_kib_per_1000_cases_second_half": round(slope_kib_per_1000_cases(late), 2),
        },
        "harness_rss_mib_max": mib(max(s.harness_rss_kib for s in soak.samples)),
        "before": before.to_json(),
        "after": after.to_json(),
        "verdicts": sorted(set(verdicts)),
    }
    r = result["kit_rss_mib"]
    print()
    print(f"cases:   {soak.cases} in {elapsed:.1f} s ({soak.cases / elapsed:.0f} cases/s)")
    print(
        f"kit RSS: start {r['start']} MiB, after the warm-up round {r['after_warmup']} MiB, "
        f"end {r['end']} MiB; max per round {per_round}"
    )
    print(
        f"slope after the warm-up: {r['slope_kib_per_1000_cases_after_warmup']} KiB per 1000 "
        f"cases ({len(steady)} samples); over the second half of the rounds: "
        f"{r['slope_kib_per_1000_cases_second_half']} KiB per 1000 cases ({len(late)} samples)"
    )
    print(f"harness RSS: max {result['harness_rss_mib_max']} MiB")
    print(f"before:  {before}")
    print(f"after:   {after}")
    print(f"verdicts: {sorted(set(verdicts))}")
    if args.json:
        full = {**result, "samples": [asdict(s) for s in soak.samples]}
        Path(args.json).write_text(json.dumps(full, indent=2) + "\n")
    print(json.dumps(result, sort_keys=True))
    return 1 if after.exceeds(before) or set(verdicts) != {"conformant"} else 0


if __name__ == "__main__":
    sys.exit(main())
