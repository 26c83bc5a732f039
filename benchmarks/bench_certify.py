"""Wall time of ``certify`` on the reference validator, and what the subprocess adapter costs.

(a) ``certify --profile quick`` and ``--profile standard`` on
``inngest_conformance.reference:validator``, measured three ways:

* ``certify CLI`` — the command itself, as a child process (interpreter start-up, imports
  and report files included): the figure the absolute targets are about (quick <= 2 s,
  standard <= 60 s);
* ``certify in-process`` — ``certify_adapter(open_adapter(target=...))``, the same run
  without start-up or report files;
* baseline: ``bare @given`` — for every requirement certify plans, a plain Hypothesis test
  over the *same* case strategy (``req.cases(ctx)``), the same ``max_examples`` and the same
  per-requirement seed, whose body calls the validator and asserts its verdict: what a user
  would hand-write with this kit's strategies.  certify does this plus the explicit
  examples, the kit's own check of every case, judging and the report, so the ratio
  ``certify / bare @given`` is the price of that machinery;
* floor: ``oracle loop`` — the validator called directly in a loop on as many
  pre-generated records (valid and invalid in certify's proportion) as certify judged:
  the validation work alone, without generating a single case.  It shows how much of a
  run is case generation.

certify also runs directed (explicit) cases on top of the search, so it judges a few more
cases than the baseline; the table gives the wall-time ratio and the per-case ratio.

(b) per-case cost of the subprocess adapter (``--command "<python> -m inngest_conformance.harness
--target inngest_conformance.reference:validator"``) against the in-process adapter
(``--target inngest_conformance.reference:validator``), same implementation, same seed, same
cases: ``certify_adapter`` time divided by the cases judged.  The child is started (and
its start-up timed separately) before the timed run, so the per-case figure is the wire
protocol's cost; start-up is reported on its own.  Target: <= 1.5x.

All arms of a profile alternate round by round (order flipped each round); ratios are
medians of per-round ratios.

    python benchmarks/bench_certify.py [--rounds 3] [--profiles quick standard] [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import (
    Measure,
    emit,
    fmt_ratio,
    interleave,
    machine,
    median,
    paired_ratios,
    table,
)
from hypothesis import HealthCheck, given, seed, settings
from inngest_conformance._adapters import open_adapter
from inngest_conformance._engine import PROFILES, case_record, requirement_seed
from inngest_conformance._planning import context, plan
from inngest_conformance._requirements import Context, Requirement
from inngest_conformance._run import certify_adapter
from inngest_conformance.reference import validator as reference_validator
from inngest_conformance.strategies import RandomSource
from inngest_conformance.strategies._invalid import gen_invalid, label_holds, targets
from inngest_conformance.strategies._records import gen_record

TARGET = "inngest_conformance.reference:validator"
ABSOLUTE_TARGETS = {"quick": 2.0, "standard": 60.0}
SUBPROCESS_TARGET = 1.5

CLI = "certify CLI"
INPROC = "certify in-process"
SUBPROC = "certify subprocess adapter"
BARE = "bare @given (baseline)"
FLOOR = "oracle loop (floor)"

CLI_MAIN = "import sys; from inngest_conformance._cli import main; sys.exit(main(sys.argv[1:]))"


def seconds_result(seconds: float, cases: int, **extra: Any) -> dict[str, Any]:
    shown = f"{seconds:6.2f} s  {cases} cases"
    if "startup" in extra:
        shown += f"  (+{extra['startup']:.2f} s child start-up)"
    return {
        "seconds": seconds,
        "cases": cases,
        "rate": cases / seconds,
        "show": shown,
        **extra,
    }


def cli(profile: str, run_seed: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-certify-") as tmp:
        argv = [sys.executable, "-c", CLI_MAIN, "certify", "--target", TARGET]
        argv += ["--profile", profile, "--seed", str(run_seed), "--report-dir", tmp, "--quiet"]
        t0 = time.perf_counter()
        proc = subprocess.run(argv, cwd=tmp, capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - t0
        if proc.returncode != 0:
            raise SystemExit(f"certify exited {proc.returncode}:\n{proc.stdout}{proc.stderr}")
        report = json.loads((Path(tmp) / "report.json").read_text(encoding="utf-8"))
    return seconds_result(seconds, sum(int(r["examples"]) for r in report["requirements"]))


def in_process(profile: str, run_seed: int, command: str | None = None) -> dict[str, Any]:
    """``certify_adapter`` on the in-process adapter, or on ``command`` over the wire."""
    if command is None:
        adapter = open_adapter(target=TARGET)
    else:
        adapter = open_adapter(command=command, startup_timeout=30.0)
    try:
        t0 = time.perf_counter()
        adapter.describe()  # starts the child, if there is one
        startup = time.perf_counter() - t0
        t0 = time.perf_counter()
        cert = certify_adapter(adapter, profile=profile, seed=run_seed)
        seconds = time.perf_counter() - t0
    finally:
        adapter.close()
    if cert.verdict != "conformant":
        raise SystemExit(f"the reference validator was judged {cert.verdict}")
    cases = sum(r.examples for r in cert.results)
    extra = {"startup": startup} if command is not None else {}
    return seconds_result(seconds, cases, **extra)


def _bare_test(req: Requirement, ctx: Context, examples: int, run_seed: int) -> Any:
    """A plain ``@given`` test of one requirement's cases, counting them in ``test.count``."""
    expected = req.kind == "accept"
    counter = [0]

    @seed(requirement_seed(run_seed, req.id))
    @settings(
        max_examples=examples,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(req.cases(ctx))
    def test(case: Any) -> None:
        counter[0] += 1
        assert reference_validator(case_record(req, case)).valid is expected

    return test, counter


def bare_given(profile: str, run_seed: int) -> dict[str, Any]:
    """The baseline: one plain ``@given`` test per requirement, same strategies and seeds."""
    ctx = context()
    budget = PROFILES[profile]
    count = 0
    t0 = time.perf_counter()
    for req in plan(ctx, "validator"):
        test, counter = _bare_test(req, ctx, budget[req.kind], run_seed)
        test()
        count += counter[0]
    return seconds_result(time.perf_counter() - t0, count)


def floor_cases(accept: int, reject: int, run_seed: int) -> list[Any]:
    """``accept`` valid and ``reject`` invalid records, made without Hypothesis."""
    ctx = context()
    src = RandomSource(run_seed)
    records: list[Any] = [gen_record(src, ctx.schema) for _ in range(accept)]
    among = targets(ctx.schema)
    while len(records) < accept + reject:
        case = gen_invalid(src, ctx.schema, among=among)
        if label_holds(ctx.oracle, case):
            records.append(case.record)
    return records


def oracle_loop(records: list[Any]) -> dict[str, Any]:
    t0 = time.perf_counter()
    for record in records:
        reference_validator(record)
    return seconds_result(time.perf_counter() - t0, len(records))


def case_mix(profile: str) -> tuple[int, int]:
    """How many accept and reject cases a profile asks of the validator role (no explicit)."""
    ctx = context()
    budget = PROFILES[profile]
    reqs = plan(ctx, "validator")
    accept = sum(budget["accept"] for r in reqs if r.kind == "accept")
    reject = sum(budget["reject"] for r in reqs if r.kind == "reject")
    return accept, reject


def profile_arms(
    profile: str, run_seed: int, command: str, records: list[Any]
) -> dict[str, Measure]:
    """The arms measured for one profile, in the order of round 0."""
    return {
        CLI: lambda r: cli(profile, run_seed),
        INPROC: lambda r: in_process(profile, run_seed),
        SUBPROC: lambda r: in_process(profile, run_seed, command),
        BARE: lambda r: bare_given(profile, run_seed),
        FLOOR: lambda r: oracle_loop(records),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--profiles", nargs="+", choices=("quick", "standard"), default=["quick", "standard"]
    )
    parser.add_argument("--seed", type=int, default=0, help="the run seed, the same every round")
    args = parser.parse_args(argv)

    command = f"{sys.executable} -m inngest_conformance.harness --target {TARGET}"
    out: dict[str, Any] = {"bench": "certify", "rounds": args.rounds, "profiles": {}}
    met_all = True
    for profile in args.profiles:
        accept, reject = case_mix(profile)
        records = floor_cases(accept, reject, args.seed)
        arms = profile_arms(profile, args.seed, command, records)
        print(f"\ncertify --profile {profile} on {TARGET}, {args.rounds} interleaved rounds")
        res = interleave(args.rounds, arms)
        secs = {name: [float(x["seconds"]) for x in rs] for name, rs in res.items()}
        med = {name: median(v) for name, v in secs.items()}
        cases = int(median([float(x["cases"]) for x in res[INPROC]]))
        vs_bare = {name: median(paired_ratios(secs[name], secs[BARE])) for name in secs}
        vs_floor = {name: median(paired_ratios(secs[name], secs[FLOOR])) for name in secs}
        per_case = {
            name: [float(x["seconds"]) / float(x["cases"]) for x in rs] for name, rs in res.items()
        }
        per_case_vs_bare = {
            name: median(paired_ratios(per_case[name], per_case[BARE])) for name in per_case
        }
        print()
        print(
            table(
                ["arm", "median s", "cases", "x bare @given", "per case x bare", "x oracle loop"],
                [
                    [
                        name,
                        f"{med[name]:.2f}",
                        str(int(median([float(x["cases"]) for x in rs]))),
                        fmt_ratio(vs_bare[name]),
                        fmt_ratio(per_case_vs_bare[name]),
                        fmt_ratio(vs_floor[name]),
                    ]
                    for name, rs in res.items()
                ],
            )
        )

        per_case_in = [1e6 * t for t in per_case[INPROC]]
        per_case_sub = [1e6 * t for t in per_case[SUBPROC]]
        sub_ratio = median(paired_ratios(per_case_sub, per_case_in))
        startup = median([float(x["startup"]) for x in res[SUBPROC]])
        with_startup = median(
            paired_ratios(
                [float(x["seconds"]) + float(x["startup"]) for x in res[SUBPROC]],
                secs[INPROC],
            )
        )
        limit = ABSOLUTE_TARGETS[profile]
        abs_met = med[CLI] <= limit
        sub_met = sub_ratio <= SUBPROCESS_TARGET
        met_all = met_all and abs_met and sub_met
        print(
            f"\n(a) certify CLI {med[CLI]:.2f} s for {cases} cases (target <= {limit:.0f} s: "
            f"{'met' if abs_met else 'NOT met'}); in-process = {fmt_ratio(vs_bare[INPROC])} "
            f"the bare @given baseline ({fmt_ratio(per_case_vs_bare[INPROC])} per case), "
            f"{fmt_ratio(vs_floor[INPROC])} the oracle loop"
        )
        print(
            f"(b) per case: in-process {median(per_case_in):.0f} us, subprocess "
            f"{median(per_case_sub):.0f} us = {fmt_ratio(sub_ratio)} (target <= "
            f"{SUBPROCESS_TARGET}x: {'met' if sub_met else 'NOT met'}); child start-up "
            f"{startup:.2f} s; whole run incl. start-up {fmt_ratio(with_startup)}"
        )
        out["profiles"][profile] = {
            "cases": cases,
            "seconds": med,
            "ratio_vs_bare_given": vs_bare,
            "per_case_ratio_vs_bare_given": per_case_vs_bare,
            "ratio_vs_oracle_loop": vs_floor,
            "cli_target_s": limit,
            "cli_met": abs_met,
            "per_case_us": {"in-process": median(per_case_in), "subprocess": median(per_case_sub)},
            "subprocess_vs_in_process_per_case": sub_ratio,
            "subprocess_vs_in_process_incl_startup": with_startup,
            "child_startup_s": startup,
            "subprocess_met": sub_met,
        }
    out["met"] = met_all
    out["machine"] = machine()
    emit(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
