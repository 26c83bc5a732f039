"""Records per second of fixture files: ``write_fixtures`` against a hand-written Faker writer.

Measured, in this process, as records written per second (file opened, every line written,
file closed; set-up such as building a ``Faker`` or loading the schema is outside the
timing):

* ``fixtures valid`` — ``write_fixtures(dir, valid=N, invalid=0)``, what
  ``inngest-conformance fixtures --valid N --invalid 0`` does: generated, checked by the
  oracle, content-hashed and written as canonical JSON Lines;
* ``fixtures mixed`` — the same with half valid and half invalid records (each invalid one
  re-checked so that its label holds);
* baseline: ``faker writer`` — the script a user would write by hand instead: Faker ids,
  ``uuid4``, a random status, ``fake.date_time().isoformat() + "Z"`` timestamps,
  ``json.dumps`` per line, nothing checked or labelled.

Arms alternate round by round (order flipped each round); ratios are medians of the
per-round ratios against the Faker writer.  Target: ``fixtures valid`` >= 1.0x.

When ours is slower, the script profiles it (cProfile, one run per mode) and prints where
the time goes by stage (generation, oracle, content id, line serialisation, file write),
then times the valid pipeline's stages again without the profiler, each on its own over
the same records, since cProfile inflates call-heavy Python code.

    python benchmarks/bench_fixtures.py [--n 10000] [--rounds 7] [--profile/--no-profile]
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _common import (
    Measure,
    emit,
    fmt_rate,
    fmt_ratio,
    interleave,
    machine,
    median,
    paired_ratios,
    rates,
    spread,
    table,
)
from faker import Faker
from inngest_conformance._encode import canonical_json, content_id
from inngest_conformance._output_files import write_fixtures
from inngest_conformance.strategies import RandomSource, default_lifecycle, default_schema
from inngest_conformance.strategies._oracle import Oracle
from inngest_conformance.strategies._records import gen_record

TARGET = 1.5
#: The half-invalid mix's target: each invalid row is labelled and its label checked.
MIXED_TARGET = 1.0
VALID = "fixtures valid"
MIXED = "fixtures mixed"
BASE = "faker writer (baseline)"

#: The baseline's statuses, typed in by hand as a user would.
STATUSES = ("QUEUED", "RUNNING", "COMPLETED", "FAILED", "CANCELLED", "PAUSED")


def faker_writer(path: Path, n: int, fake: Faker, rng: random.Random) -> None:
    """The baseline: valid-looking run records from Faker, one ``json.dumps`` per line."""
    with open(path, "w", encoding="utf-8") as fh:
        for _ in range(n):
            record = {
                "run_id": fake.uuid4(),
                "function_id": fake.slug(),
                "app_id": fake.word(),
                "status": rng.choice(STATUSES),
                "event_id": str(uuid.uuid4()),
                "output": {"result": fake.word()},
                "started_at": fake.date_time().isoformat() + "Z",
                "ended_at": fake.date_time().isoformat() + "Z",
            }
            fh.write(json.dumps(record) + "\n")


def timed(fn: Callable[[Path], object], records: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-fixtures-") as tmp:
        t0 = time.perf_counter()
        fn(Path(tmp))
        seconds = time.perf_counter() - t0
    return {"records": records, "seconds": seconds, "rate": records / seconds}


def arms(n: int, seed: int) -> dict[str, Measure]:
    schema, model = default_schema(), default_lifecycle()
    fake = Faker()

    def ours(valid: int, invalid: int) -> Measure:
        def measure(r: int) -> dict[str, Any]:
            return timed(
                lambda d: write_fixtures(
                    d,
                    schema=schema,
                    model=model,
                    seed=seed + r,
                    valid=valid,
                    invalid=invalid,
                    progress=None,
                ),
                valid + invalid,
            )

        return measure

    def baseline(r: int) -> dict[str, Any]:
        fake.seed_instance(seed + r)
        rng = random.Random(seed + r)
        return timed(lambda d: faker_writer(d / "runs.jsonl", n, fake, rng), n)

    return {VALID: ours(n, 0), BASE: baseline, MIXED: ours(n // 2, n - n // 2)}


# Profiling -------------------------------------------------------------------------------

FuncKey = tuple[str, int, str]


def _find(stats: dict[FuncKey, Any], file_end: str, name: str) -> list[FuncKey]:
    return [k for k in stats if k[0].endswith(file_end) and k[2] == name]


def _cum(stats: dict[FuncKey, Any], file_end: str, name: str) -> float:
    return float(sum(stats[k][3] for k in _find(stats, file_end, name)))


def _cum_from(
    stats: dict[FuncKey, Any], file_end: str, name: str, caller_file: str, caller: str
) -> float:
    """Cumulative time of ``name`` spent in calls made by ``caller``."""
    total = 0.0
    for k in _find(stats, file_end, name):
        for ck, (_cc, _nc, _tt, ct) in stats[k][4].items():
            if ck[0].endswith(caller_file) and ck[2] == caller:
                total += ct
    return total


def _builtin(stats: dict[FuncKey, Any], name: str, field: int = 3) -> float:
    return float(sum(v[field] for k, v in stats.items() if k[0] == "~" and name in k[2]))


def profile(valid: int, invalid: int, seed: int) -> tuple[list[list[str]], list[list[str]]]:
    """Profile one ``write_fixtures`` run; return (stage rows, top functions rows)."""
    schema, model = default_schema(), default_lifecycle()
    prof = cProfile.Profile()
    with tempfile.TemporaryDirectory(prefix="bench-fixtures-") as tmp:
        prof.enable()
        write_fixtures(
            tmp,
            schema=schema,
            model=model,
            seed=seed,
            valid=valid,
            invalid=invalid,
            progress=None,
        )
        prof.disable()
    ps = pstats.Stats(prof)
    stats: dict[FuncKey, Any] = ps.stats  # type: ignore[attr-defined]
    total = _cum(stats, "_output_files.py", "write_fixtures")
    stages: list[tuple[str, float]] = [
        (
            "generate valid records (gen_record)",
            _cum_from(stats, "records.py", "gen_record", "_fixtures.py", "_valid"),
        ),
        (
            "generate invalid cases (apply_target)",
            _cum_from(stats, "_invalid.py", "apply_target", "_fixtures.py", "_invalid"),
        ),
        ("oracle: valid check (fast_is_valid)", _cum(stats, "oracle.py", "fast_is_valid")),
        ("oracle: label check (label_holds)", _cum(stats, "_invalid.py", "label_holds")),
        (
            "canonical json.dumps (id and line)",
            _cum_from(stats, "_encode.py", "canonical_json", "_fixtures.py", "_valid")
            + _cum_from(stats, "_encode.py", "canonical_json", "_fixtures.py", "_invalid"),
        ),
        ("content id: sha256", _cum(stats, "_fixtures.py", "_digest")),
        ("row line: one-line escapes", _cum(stats, "_encode.py", "json_line")),
        ("file write (writelines, own time)", _builtin(stats, "writelines", field=2)),
    ]
    accounted = sum(t for _, t in stages)
    stages.append(("other (iteration, progress, open/close)", max(0.0, total - accounted)))
    stage_rows = [[name, f"{t:.3f}", f"{100 * t / total:.0f}%"] for name, t in stages if t > 0.0005]
    stage_rows.append(["total (under cProfile)", f"{total:.3f}", "100%"])
    top = sorted(stats.items(), key=lambda kv: kv[1][2], reverse=True)[:12]
    top_rows = [
        [f"{Path(k[0]).name}:{k[1]}({k[2]})", f"{v[1]}", f"{v[2]:.3f}", f"{v[3]:.3f}"]
        for k, v in top
    ]
    return stage_rows, top_rows


def stage_costs(n: int, seed: int, rounds: int) -> list[list[str]]:
    """The valid pipeline's stages, each timed on its own without a profiler.

    Per round, the same ``n`` records (``gen_record`` on a seeded ``RandomSource``) go through
    each stage separately: generation, the oracle's check, the content id, and the
    canonical row line written to a file.  Medians of microseconds per record.
    """
    schema = default_schema()
    oracle = Oracle(schema)
    cache: dict[int, list[dict[str, Any]]] = {}

    def records(r: int) -> list[dict[str, Any]]:
        if r not in cache:
            src = RandomSource(seed + r)
            cache[r] = [gen_record(src, schema) for _ in range(n)]
        return cache[r]

    def clocked(fn: Callable[[], object]) -> dict[str, Any]:
        t0 = time.perf_counter()
        fn()
        seconds = time.perf_counter() - t0
        return {"rate": n / seconds, "us": 1e6 * seconds / n}

    def generate(r: int) -> dict[str, Any]:
        src = RandomSource(seed + r)
        return clocked(lambda: [gen_record(src, schema) for _ in range(n)])

    def check(r: int) -> dict[str, Any]:
        recs = records(r)
        return clocked(lambda: [oracle.is_valid(x) for x in recs])

    def ident(r: int) -> dict[str, Any]:
        recs = records(r)
        return clocked(lambda: [content_id(x) for x in recs])

    def write(r: int) -> dict[str, Any]:
        recs = records(r)
        ids = [content_id(x) for x in recs]
        with tempfile.TemporaryDirectory(prefix="bench-fixtures-") as tmp:

            def lines() -> None:
                with open(Path(tmp) / "valid.jsonl", "w", encoding="utf-8") as fh:
                    fh.writelines(
                        canonical_json({"id": i, "record": x}) + "\n"
                        for i, x in zip(ids, recs, strict=True)
                    )

            return clocked(lines)

    stages: dict[str, Measure] = {
        "gen_record (RandomSource)": generate,
        "Oracle.is_valid (jsonschema)": check,
        "content_id (dumps + sha256)": ident,
        "row line: dumps + write": write,
    }
    print(f"\nvalid-fixture stages without the profiler, N={n}, {rounds} interleaved rounds")
    results = interleave(rounds, stages)
    costs = {name: median([float(x["us"]) for x in res]) for name, res in results.items()}
    total = sum(costs.values())
    rows = [[name, f"{us:.1f}", f"{100 * us / total:.0f}%"] for name, us in costs.items()]
    rows.append(["sum", f"{total:.1f}", "100%"])
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=10_000, help="records per arm and round")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--seed", type=int, default=0, help="round r uses seed + r")
    parser.add_argument(
        "--profile",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="profile ours (default: only when it is slower than the baseline)",
    )
    args = parser.parse_args(argv)

    print(f"fixture records/s, N={args.n}, {args.rounds} interleaved rounds")
    results = interleave(args.rounds, arms(args.n, args.seed))
    base = rates(results[BASE])
    ratio = {name: median(paired_ratios(rates(res), base)) for name, res in results.items()}
    print()
    print(
        table(
            ["arm", "median", "range", "vs faker writer"],
            [
                [name, fmt_rate(median(rates(res))), spread(rates(res)), fmt_ratio(ratio[name])]
                for name, res in results.items()
            ],
        )
    )
    met = ratio[VALID] >= TARGET and ratio[MIXED] >= MIXED_TARGET
    print(
        f"\nfixtures valid / faker writer = {fmt_ratio(ratio[VALID])} "
        f"(target >= {TARGET:.1f}x: {'met' if ratio[VALID] >= TARGET else 'NOT met'}); "
        f"mixed = {fmt_ratio(ratio[MIXED])} "
        f"(target >= {MIXED_TARGET:.1f}x: {'met' if ratio[MIXED] >= MIXED_TARGET else 'NOT met'})"
    )

    profiled: dict[str, Any] = {}
    if args.profile or (args.profile is None and not met):
        n = min(args.n, 5000)
        for label, valid, invalid in (("valid", n, 0), ("mixed", n // 2, n - n // 2)):
            stage_rows, top_rows = profile(valid, invalid, args.seed)
            print(f"\ncProfile of write_fixtures({label}: valid={valid}, invalid={invalid})")
            print(table(["stage", "seconds", "share"], stage_rows))
            print("\ntop functions by own time")
            print(table(["function", "calls", "own s", "cum s"], top_rows))
            profiled[label] = {row[0]: row[2] for row in stage_rows}
        stage_rows = stage_costs(n, args.seed, max(3, args.rounds // 2))
        print()
        print(table(["valid-fixture stage", "us/record", "share"], stage_rows))
        profiled["stages_us"] = {row[0]: float(row[1]) for row in stage_rows}

    emit(
        {
            "bench": "fixtures",
            "n": args.n,
            "rounds": args.rounds,
            "rate": {name: median(rates(res)) for name, res in results.items()},
            "ratio": {
                "fixtures_valid_vs_faker": ratio[VALID],
                "fixtures_mixed_vs_faker": ratio[MIXED],
            },
            "target": {"valid": TARGET, "mixed": MIXED_TARGET},
            "met": met,
            "profile": profiled,
            "machine": machine(),
        }
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
