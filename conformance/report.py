"""From results to a report: the verdict, the levels, and the files people read.

``report.json`` has the top-level shape other tools rely on (``format``
``inngest-conformance-report/1``).  Everything that makes a report reproducible is in its
header (kit version, schema and lifecycle hashes, seed, profile, examples per requirement),
and nothing in it depends on the clock except ``started_at`` and ``duration_s``: the same
seed and implementation give the same report otherwise, byte for byte.  Files are written
atomically (a temporary file, then a rename), so a reader never sees a torn report.
"""

from __future__ import annotations

import json
import os
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance import __version__
from conformance.adapters.base import Description
from conformance.engine import PROFILES, Result
from conformance.requirements import LEVELS, Context

FORMAT = "inngest-conformance-report/1"
VERDICTS = ("conformant", "non-conformant", "error")


@dataclass(frozen=True)
class RunInfo:
    """How a run was made: what its report header pins."""

    ctx: Context
    role: str
    profile: str
    seed: int
    implementation: Description
    invocation: tuple[str, ...] = ()
    """The certify arguments that name the implementation, schema and model (for reproduce)."""
    levels: tuple[str, ...] = ()
    warnings: tuple[str, ...] = field(default=())


def verdict(results: Sequence[Result]) -> str:
    """``non-conformant`` on a failed MUST; ``error`` when something could not be judged;
    else ``conformant`` (failed SHOULDs are warnings)."""
    if any(r.outcome == "failed" and r.requirement.keyword == "MUST" for r in results):
        return "non-conformant"
    if any(r.outcome == "errored" for r in results) or not any(
        r.outcome in ("passed", "failed") for r in results
    ):
        return "error"
    return "conformant"


def level_outcomes(results: Sequence[Result], levels: Sequence[str]) -> dict[str, str]:
    out = {}
    for level in LEVELS:
        mine = [r for r in results if r.requirement.level == level]
        if level not in levels or not mine or all(r.outcome == "skipped" for r in mine):
            out[level] = "skipped"
        elif any(r.outcome == "failed" and r.requirement.keyword == "MUST" for r in mine):
            out[level] = "failed"
        elif any(r.outcome == "errored" for r in mine):
            out[level] = "errored"
        else:
            out[level] = "passed"
    return out


def reproduce_command(info: RunInfo, requirement_id: str) -> str:
    if info.role == "source":
        return shlex.join(["inngest-conformance", "audit", *info.invocation[1:]])
    words = [
        "inngest-conformance",
        "certify",
        *info.invocation,
        "--role",
        info.role,
        "--profile",
        info.profile,
        "--seed",
        str(info.seed),
        "--requirement",
        requirement_id,
    ]
    return shlex.join(words)


def build_report(
    info: RunInfo, results: Sequence[Result], *, started_at: str, duration_s: float
) -> dict[str, Any]:
    """The report.json document."""
    requirements = []
    for r in results:
        row = r.to_json()
        if r.outcome in ("failed", "errored"):
            row["reproduce"] = reproduce_command(info, r.requirement.id)
        requirements.append(row)
    counts = {
        o: sum(1 for r in results if r.outcome == o)
        for o in ("passed", "failed", "errored", "skipped")
    }
    warnings = list(info.warnings) + [
        f"{r.requirement.id} (SHOULD) failed: {r.message}"
        for r in results
        if r.outcome == "failed" and r.requirement.keyword == "SHOULD"
    ]
    return {
        "format": FORMAT,
        "kit": {"version": __version__},
        "schema": {"sha256": info.ctx.schema.sha256, "title": info.ctx.schema.title},
        "lifecycle_model": {"sha256": info.ctx.model.sha256},
        "seed": info.seed,
        "profile": info.profile,
        "examples_per_requirement": PROFILES[info.profile],
        "role": info.role,
        "implementation": info.implementation.to_json(),
        "invocation": list(info.invocation),
        "verdict": verdict(results),
        "levels": level_outcomes(results, info.levels or LEVELS),
        "counts": counts,
        "warnings": warnings,
        "requirements": requirements,
        "started_at": started_at,
        "duration_s": round(duration_s, 3),
    }


def write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def to_json_text(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=2, ensure_ascii=False) + "\n"


def _cell(value: Any, limit: int = 120) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in text)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def to_markdown(report: dict[str, Any]) -> str:
    impl = report["implementation"]
    lines = [
        f"# Conformance report: {impl.get('name', '?')}",
        "",
        f"**Verdict: {report['verdict']}** — role {report['role']}, profile {report['profile']}, "
        f"seed {report['seed']}, kit {report['kit']['version']}",
        "",
        "| level | outcome |",
        "| --- | --- |",
        *(f"| {lvl} | {out} |" for lvl, out in report["levels"].items()),
        "",
        "| requirement | level | keyword | outcome | examples | statement |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for r in report["requirements"]:
        lines.append(
            f"| `{r['id']}` | {r['level']} | {r['keyword']} | {r['outcome']} | {r['examples']} "
            f"| {_cell(r['statement'])} |"
        )
    failures = [r for r in report["requirements"] if r["outcome"] in ("failed", "errored")]
    if failures:
        lines += ["", "## Failures", ""]
        for r in failures:
            lines += [
                f"### `{r['id']}` — {r['outcome']}",
                "",
                f"- message: {_cell(r.get('message', ''), 400)}",
                f"- counterexample: `{_cell(r.get('counterexample'), 400)}`",
            ]
            if r["outcome"] == "failed":
                lines += [
                    f"- answer: `{_cell(r.get('answer'), 400)}`",
                    f"- expected: `{_cell(r.get('expected'), 400)}`",
                ]
            lines += [f"- reproduce: `{r.get('reproduce', '')}`", ""]
    if report["warnings"]:
        lines += ["", "## Warnings", "", *(f"- {_cell(w, 400)}" for w in report["warnings"])]
    lines += [
        "",
        f"Schema sha256 `{report['schema']['sha256']}`, lifecycle model sha256 "
        f"`{report['lifecycle_model']['sha256']}`.",
        "",
    ]
    return "\n".join(lines)


def write_reports(report: dict[str, Any], directory: str | os.PathLike[str]) -> list[Path]:
    """Write report.json and report.md into ``directory`` (created if needed)."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "report.json", out / "report.md"]
    write_atomic(paths[0], to_json_text(report))
    write_atomic(paths[1], to_markdown(report))
    return paths
