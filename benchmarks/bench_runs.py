"""Records per second of ``strategies.runs()`` under ``@given``, against ``from_schema``.

Measured: how many run records a do-nothing ``@given`` test receives per second
(``max_examples=N``, ``database=None``, no deadline, every health check suppressed, after an
untimed warm-up), for

* ``runs()`` — this kit's strategy on the packaged run schema, under the Hypothesis
  installed here;
* baseline: ``hypothesis_jsonschema.from_schema(<the packaged run schema>)`` — what a user
  would reach for to get records from the same schema.  ``from_schema`` 0.23.1 fails on
  object schemas with Hypothesis >= 6.170.10, so it runs under Hypothesis 6.170.9 in a venv
  this script creates once and caches in ``benchmarks/.venv-baseline``;
* control: ``runs()`` again, in that baseline venv, so that one ratio compares the two
  generators on the *same* Hypothesis engine.

Every arm runs as a child process (``_gen_worker.py``) timed from inside, so all arms pay
the same costs; arms alternate round by round (order flipped each round) and the headline
figure is the median of the per-round ratios ``runs() / from_schema``.  Target: >= 10x.

A second ratio counts distinct records only (a record equal to an earlier one in the same
run is not counted).  The variety table gives, over the same records, the fraction of each
status and of each optional property present, the fraction of distinct records, and the
fraction of records with every (or no) optional property.

When the target is not met (or with ``--profile``), ``runs()`` is also profiled under
``@given`` in this interpreter (cProfile): own time by area (Hypothesis engine, Hypothesis
strategy cache, the kit's generator code) and source calls per record.

    python benchmarks/bench_runs.py [--n 1000] [--rounds 5] [--no-control] [--profile]
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import tempfile
import venv
from pathlib import Path
from typing import Any

from _common import (
    BENCH_DIR,
    REPO_ROOT,
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

TARGET = 10.0
BASELINE_VENV = BENCH_DIR / ".venv-baseline"
BASELINE_HYPOTHESIS = "6.170.9"
WORKER = BENCH_DIR / "_gen_worker.py"
SCHEMA = REPO_ROOT / "strategies" / "data" / "inngest-run.schema.json"

OURS = "runs()"
BASE = "from_schema (baseline)"
CONTROL = "runs() on baseline venv"


def baseline_pins() -> list[str]:
    """What the baseline venv holds.

    Faker and jsonschema are pinned to the versions installed here: the control arm imports
    the project from the source tree, and nothing but Hypothesis should differ.
    """
    return [
        f"hypothesis=={BASELINE_HYPOTHESIS}",
        "hypothesis-jsonschema==0.23.1",
        f"jsonschema=={importlib.metadata.version('jsonschema')}",
        f"faker=={importlib.metadata.version('faker')}",
    ]


def venv_python(root: Path) -> Path:
    return root / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure_baseline_venv(rebuild: bool = False) -> Path:
    """The baseline venv's interpreter, creating the venv the first time (cached after)."""
    pins = baseline_pins()
    marker = BASELINE_VENV / "pins.txt"
    python = venv_python(BASELINE_VENV)
    wanted = "\n".join(pins) + "\n"
    if not rebuild and python.exists() and marker.exists() and marker.read_text() == wanted:
        return python
    print(f"creating {BASELINE_VENV.relative_to(REPO_ROOT)} with {', '.join(pins)} …", flush=True)
    shutil.rmtree(BASELINE_VENV, ignore_errors=True)
    venv.EnvBuilder(with_pip=True, clear=True).create(BASELINE_VENV)
    pip = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *pins],
        capture_output=True,
        text=True,
        check=False,
    )
    if pip.returncode != 0:
        shutil.rmtree(BASELINE_VENV, ignore_errors=True)
        raise SystemExit(f"cannot install the baseline venv:\n{pip.stdout}{pip.stderr}")
    marker.write_text(wanted)
    return python


def source_tree(root: Path) -> Path:
    """The checkout laid out as it installs, under ``root``: ``inngest_conformance`` (the
    entries of ``conformance/``) with ``strategies/`` inside, as symbolic links, so that
    another venv imports the kit from the working tree."""
    package = root / "inngest_conformance"
    package.mkdir(parents=True)
    for entry in (REPO_ROOT / "conformance").iterdir():
        (package / entry.name).symlink_to(entry)
    (package / "strategies").symlink_to(REPO_ROOT / "strategies")
    return root


def worker(
    python: Path,
    generator: str,
    n: int,
    run_seed: int,
    *,
    from_source: bool,
    schema: Path = SCHEMA,
) -> dict[str, Any]:
    """Run ``_gen_worker.py`` once and return its JSON line."""
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    with tempfile.TemporaryDirectory(prefix="bench-runs-") as cwd:
        if from_source:
            env["PYTHONPATH"] = str(source_tree(Path(cwd) / "src"))
        proc = subprocess.run(
            [
                str(python),
                str(WORKER),
                "--generator",
                generator,
                "--schema",
                str(schema),
                "--n",
                str(n),
                "--seed",
                str(run_seed),
            ],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
    if proc.returncode != 0:
        raise SystemExit(f"{generator} under {python} failed:\n{proc.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def distinct_rates(results: list[dict[str, Any]]) -> list[float]:
    """Per round: distinct records per second (repeats of an earlier record not counted)."""
    return [float(r["rate"]) * float(r["variety"]["distinct"]) for r in results]


def pooled_variety(results: list[dict[str, Any]]) -> dict[str, float]:
    """Each variety fraction, averaged over rounds (every round has the same N)."""
    rows: dict[str, list[float]] = {}
    for r in results:
        v = r["variety"]
        for prop, values in v["enum"].items():
            for value, frac in values.items():
                rows.setdefault(f"{prop}={value}", []).append(frac)
        for prop, frac in v["optional"].items():
            rows.setdefault(f"has {prop}", []).append(frac)
        for key in ("all_optional", "no_optional", "distinct"):
            rows.setdefault(key.replace("_", " "), []).append(v[key])
    return {k: sum(vs) / len(vs) for k, vs in rows.items()}


def _area(filename: str) -> str:
    if filename.endswith(("strategies/_internal/utils.py", "hypothesis/internal/cache.py")):
        return "Hypothesis: strategy cache (st.integers(...) built per draw)"
    if "/hypothesis/" in filename:
        return "Hypothesis: engine (draw, spans, choice tree)"
    if filename == "~":
        return "builtins"
    if str(REPO_ROOT / "strategies") in filename:
        return "kit generator code (strategies/)"
    return "other Python"


def profile_runs(
    n: int, run_seed: int, schema: Path = SCHEMA
) -> tuple[list[list[str]], dict[str, float]]:
    """cProfile of ``runs()`` under ``@given`` in this interpreter: own time by area."""
    import cProfile
    import pstats

    from _gen_worker import run_given
    from inngest_conformance.strategies import runs

    with open(schema, encoding="utf-8") as fh:
        strategy = runs(json.load(fh))
    run_given(strategy, 20, run_seed + 1)
    prof = cProfile.Profile()
    prof.enable()
    records = len(run_given(strategy, n, run_seed))
    prof.disable()
    stats: dict[tuple[str, int, str], Any] = pstats.Stats(prof).stats  # type: ignore[attr-defined]
    areas: dict[str, float] = {}
    for (filename, _line, _name), row in stats.items():
        areas[_area(filename)] = areas.get(_area(filename), 0.0) + float(row[2])
    total = sum(areas.values())
    rows = [
        [name, f"{t:.2f}", f"{100 * t / total:.0f}%"]
        for name, t in sorted(areas.items(), key=lambda kv: -kv[1])
    ]
    calls = {
        method: sum(
            int(row[1])
            for (filename, _line, name), row in stats.items()
            if name == method and filename.endswith("strategies/_source.py")
        )
        / records
        for method in ("integer", "boolean", "choice", "text", "floating")
    }
    draws = sum(
        int(row[1])
        for (filename, _line, name), row in stats.items()
        if name == "draw" and filename.endswith("conjecture/data.py")
    )
    calls["Hypothesis draws (incl. nested)"] = draws / records
    return rows, calls


def _without_baseline(args: argparse.Namespace, ours: Measure, reason: str) -> int:
    """Records/s of ``runs()`` alone, where ``from_schema`` cannot generate for the schema."""
    print(f"from_schema cannot generate records of {args.schema.name}: {reason[:300]}")
    results = interleave(args.rounds, {OURS: ours})[OURS]
    rs = rates(results)
    print()
    print(
        table(
            ["arm", "hypothesis", "median", "range"],
            [[OURS, results[0]["hypothesis"], fmt_rate(median(rs)), spread(rs)]],
        )
    )
    emit(
        {
            "bench": "runs",
            "schema": args.schema.name,
            "n": args.n,
            "rounds": args.rounds,
            "rate": {OURS: median(rs)},
            "baseline_failed": reason[:300],
            "machine": machine(),
        }
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1000, help="records per arm and round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0, help="round r uses seed + r")
    parser.add_argument(
        "--no-control", action="store_true", help="skip runs() on the baseline's Hypothesis"
    )
    parser.add_argument("--rebuild-venv", action="store_true", help="recreate the baseline venv")
    parser.add_argument(
        "--schema",
        type=Path,
        default=SCHEMA,
        help="the schema both generators follow (default: the packaged run schema; "
        "examples/schemas/span.schema.json is the recursive one)",
    )
    parser.add_argument(
        "--profile",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="profile runs() here (default: only when the target is not met)",
    )
    args = parser.parse_args(argv)
    args.schema = args.schema.resolve()  # the workers run in folders of their own

    base_python = ensure_baseline_venv(args.rebuild_venv)
    ours_python = Path(sys.executable)
    import hypothesis

    arms: dict[str, Measure] = {
        OURS: lambda r: worker(
            ours_python, "runs", args.n, args.seed + r, from_source=False, schema=args.schema
        ),
        BASE: lambda r: worker(
            base_python, "from_schema", args.n, args.seed + r, from_source=False, schema=args.schema
        ),
    }
    if not args.no_control:
        arms[CONTROL] = lambda r: worker(
            base_python, "runs", args.n, args.seed + r, from_source=True, schema=args.schema
        )
    print(
        f"records/s under @given, N={args.n}, {args.rounds} interleaved rounds "
        f"(Hypothesis {hypothesis.__version__} here, {BASELINE_HYPOTHESIS} in the baseline venv)"
    )
    try:  # from_schema may not take the schema at all (recursive references)
        worker(base_python, "from_schema", 3, args.seed, from_source=False, schema=args.schema)
    except SystemExit as exc:
        lines = str(exc).strip().splitlines()
        why = next((ln for ln in reversed(lines) if "Error" in ln), lines[-1])
        return _without_baseline(args, arms[OURS], why)
    results = interleave(args.rounds, arms)

    base_rates = rates(results[BASE])
    base_distinct = distinct_rates(results[BASE])
    rows = []
    ratio: dict[str, float] = {}
    distinct_ratio: dict[str, float] = {}
    for name, res in results.items():
        rs = rates(res)
        r = median(paired_ratios(rs, base_rates))
        ratio[name] = r
        distinct_ratio[name] = median(paired_ratios(distinct_rates(res), base_distinct))
        records = median([float(x["records"]) for x in res])
        rows.append(
            [
                name,
                res[0]["hypothesis"],
                f"{records:.0f}",
                fmt_rate(median(rs)),
                spread(rs),
                fmt_ratio(r),
                fmt_ratio(distinct_ratio[name]),
            ]
        )
    print()
    print(
        table(
            ["arm", "hypothesis", "records", "median", "range", "vs from_schema", "distinct/s"],
            rows,
        )
    )

    variety = {name: pooled_variety(res) for name, res in results.items()}
    keys = list(variety[OURS])
    print()
    print(f"variety over {args.n} records x {args.rounds} rounds (fraction of records)")
    print(
        table(
            ["", *variety],
            [[k, *(f"{variety[name].get(k, 0.0):.2f}" for name in variety)] for k in keys],
        )
    )

    headline = ratio[OURS]
    print()
    print(
        f"runs() / from_schema = {fmt_ratio(headline)} (target >= {TARGET:.0f}x: "
        f"{'met' if headline >= TARGET else 'NOT met'})"
    )
    profiled: dict[str, Any] = {}
    if args.profile or (args.profile is None and headline < TARGET):
        rows, calls = profile_runs(args.n, args.seed, args.schema)
        print(f"\ncProfile of runs() under @given here, N={args.n}: own time by area")
        print(table(["area", "seconds", "share"], rows))
        print("\ncalls per record")
        print(table(["", "per record"], [[k, f"{v:.1f}"] for k, v in calls.items()]))
        profiled = {"areas": {r[0]: r[2] for r in rows}, "calls_per_record": calls}

    emit(
        {
            "bench": "runs",
            "profile": profiled,
            "n": args.n,
            "rounds": args.rounds,
            "rate": {name: median(rates(res)) for name, res in results.items()},
            "ratio": {
                "runs_vs_from_schema": headline,
                "runs_vs_from_schema_distinct": distinct_ratio[OURS],
                **(
                    {"runs_same_hypothesis_vs_from_schema": ratio[CONTROL]}
                    if CONTROL in ratio
                    else {}
                ),
            },
            "target": TARGET,
            "met": headline >= TARGET,
            "variety": variety,
            "machine": machine(),
        }
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
