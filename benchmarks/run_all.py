"""Run every benchmark one after the other and summarise their ratios.

Nothing new is measured here: each ``bench_*.py`` script runs as a child process with its
own defaults (or with ``--quick``, smaller sizes for a smoke run), its output is shown as it
comes, and its last line (the JSON result) is collected.  The scripts run one at a time,
never in parallel, since on a 2-core machine two benchmarks would slow each other down.
Each figure is a ratio against the baseline named by its own script, measured side by side
in that script's interleaved rounds.

    python benchmarks/run_all.py [--quick] [--json results.json]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from _common import BENCH_DIR, emit, machine, table

QUICK_ARGS: dict[str, list[str]] = {
    "bench_runs.py": ["--n", "150", "--rounds", "3"],
    "bench_fixtures.py": ["--n", "2000", "--rounds", "3", "--no-profile"],
    "bench_certify.py": ["--rounds", "1", "--profiles", "quick"],
    "bench_plugin.py": ["--rounds", "3"],
    "bench_corpus.py": ["--n", "10000"],
    "bench_linearizability.py": ["--histories", "100", "--rounds", "3"],
    "bench_no_case.py": ["--rounds", "1"],
}


def run(script: str, extra: list[str]) -> dict[str, Any]:
    print(f"\n=== {script} {' '.join(extra)}".rstrip(), flush=True)
    proc = subprocess.Popen(
        [sys.executable, str(BENCH_DIR / script), *extra],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    last = ""
    for line in proc.stdout:
        print(line, end="", flush=True)
        if line.strip():
            last = line
    if proc.wait() != 0:
        raise SystemExit(f"{script} exited with status {proc.returncode}")
    result: dict[str, Any] = json.loads(last)
    return result


def summary(results: dict[str, dict[str, Any]]) -> list[list[str]]:
    rows: list[list[str]] = []
    runs = results.get("bench_runs.py")
    if runs:
        r = runs["ratio"]["runs_vs_from_schema"]
        rows.append(["runs() vs from_schema (records/s)", f"{r:.2f}x", ">= 10x", _ok(r >= 10)])
        same = runs["ratio"].get("runs_same_hypothesis_vs_from_schema")
        if same is not None:
            rows.append(["  same Hypothesis 6.170.9 (control)", f"{same:.2f}x", "", ""])
    fx = results.get("bench_fixtures.py")
    if fx:
        r = fx["ratio"]["fixtures_valid_vs_faker"]
        rows.append(["fixtures valid vs Faker writer", f"{r:.2f}x", ">= 1.5x", _ok(r >= 1.5)])
        m = fx["ratio"]["fixtures_mixed_vs_faker"]
        rows.append(["fixtures mixed vs Faker writer", f"{m:.2f}x", ">= 1.0x", _ok(m >= 1)])
    cert = results.get("bench_certify.py")
    if cert:
        for profile, p in cert["profiles"].items():
            cli = p["seconds"]["certify CLI"]
            limit = p["cli_target_s"]
            rows.append(
                [
                    f"certify {profile}: CLI wall time",
                    f"{cli:.2f} s",
                    f"<= {limit:.0f} s",
                    _ok(cli <= limit),
                ]
            )
            bare = p["ratio_vs_bare_given"]["certify in-process"]
            per_case = p["per_case_ratio_vs_bare_given"]["certify in-process"]
            rows.append(["  in-process vs bare @given (wall)", f"{bare:.2f}x", "", ""])
            rows.append(["  in-process vs bare @given (per case)", f"{per_case:.2f}x", "", ""])
            sub = p["subprocess_vs_in_process_per_case"]
            rows.append(
                [
                    f"certify {profile}: subprocess vs in-process, per case",
                    f"{sub:.2f}x",
                    "<= 1.5x",
                    _ok(sub <= 1.5),
                ]
            )
    plugin = results.get("bench_plugin.py")
    if plugin:
        added = plugin["added_ms"]
        rows.append(
            [
                "pytest session: added by the plugin",
                f"{added:+.1f} ms",
                "<= 20 ms",
                _ok(added <= 20),
            ]
        )
        rows.append(
            ["  import of the plugin module", f"{plugin['plugin_import_ms']:.1f} ms", "", ""]
        )
    lin = results.get("bench_linearizability.py")
    if lin:
        rows.append(
            [
                "linearizability search 4x4 vs replay",
                f"{lin['search_histories_per_s_4x4']:,.0f}/s, {lin['search_vs_replay_4x4']:.2f}x",
                "",
                "",
            ]
        )
    none = results.get("bench_no_case.py")
    if none:
        rows.append(
            [
                "no case found: probed vs search only",
                f"{none['seconds']['probed']:.2f} s, {none['speedup_vs_search_only']:.2f}x sooner",
                "",
                "",
            ]
        )
    corpus = results.get("bench_corpus.py")
    if corpus:
        n, jobs = corpus["n"], corpus["jobs"]
        one, many = corpus["wall_s"]
        rows.append([f"fixtures {n:,} + {n:,}: --jobs 1 wall time", f"{one:.1f} s", "", ""])
        rows.append(
            [
                f"  --jobs {jobs} (same bytes: {'yes' if corpus['same_bytes'] else 'NO'})",
                f"{many:.1f} s, {corpus['scaling']:.2f}x",
                "",
                "",
            ]
        )
        rows.append(
            [
                "  peak RSS, whole tree",
                " / ".join(f"{m:.0f} MiB" for m in corpus["peak_rss_mib"]),
                "flat",
                "",
            ]
        )
    return rows


def compact(results: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Each script's ratios and whether its target was met, without the detail."""
    out: dict[str, Any] = {}
    for script, res in results.items():
        if script == "bench_linearizability.py":
            out[script] = {
                k: res[k]
                for k in ("search_histories_per_s_4x4", "search_vs_replay_4x4", "rate_vs_2x2")
            }
            continue
        if script == "bench_no_case.py":
            out[script] = {k: res[k] for k in ("seconds", "speedup_vs_search_only")}
            continue
        if script == "bench_corpus.py":
            out[script] = {k: res[k] for k in ("n", "jobs", "scaling", "wall_s", "peak_rss_mib")}
            continue
        if script == "bench_plugin.py":
            out[script] = {"added_ms": res["added_ms"], "ratio": res["ratio"]}
            continue
        if "ratio" in res:
            out[script] = {"ratio": res["ratio"], "met": res["met"]}
            continue
        out[script] = {
            "met": res["met"],
            "ratio": {
                profile: {
                    "in_process_vs_bare_given": p["ratio_vs_bare_given"]["certify in-process"],
                    "in_process_vs_bare_given_per_case": p["per_case_ratio_vs_bare_given"][
                        "certify in-process"
                    ],
                    "cli_vs_bare_given": p["ratio_vs_bare_given"]["certify CLI"],
                    "subprocess_vs_in_process_per_case": p["subprocess_vs_in_process_per_case"],
                    "cli_seconds": p["seconds"]["certify CLI"],
                }
                for profile, p in res["profiles"].items()
            },
        }
    return out


def _ok(met: bool) -> str:
    return "met" if met else "NOT met"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    parser.add_argument("--json", type=Path, help="also write every script's result here")
    args = parser.parse_args(argv)

    results: dict[str, dict[str, Any]] = {}
    for script in QUICK_ARGS:
        results[script] = run(script, QUICK_ARGS[script] if args.quick else [])
    print()
    print(table(["figure", "measured", "target", ""], summary(results)))
    if args.json:
        full = {"bench": "all", "results": results, "machine": machine()}
        args.json.write_text(json.dumps(full, indent=2, sort_keys=True) + "\n")
    emit({"bench": "all", "ratios": compact(results), "machine": machine()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
