"""From results to a report: the verdict, the levels, and the files people read.

``report.json`` has the top-level shape other tools rely on (``format``
``inngest-conformance-report/1``).  Everything that makes a report reproducible is in its
header (kit version, schema and lifecycle hashes, seed, profile, examples per requirement),
and nothing in it depends on the clock except ``started_at`` and ``duration_s``: the same
seed and implementation give the same report otherwise, byte for byte.  Files are written
atomically (a temporary file, then a rename), so a reader never sees a torn report.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from inngest_conformance._adapters.base import Description
from inngest_conformance._encode import UNPAIRED, canonical_sha256, clip, one_line
from inngest_conformance._engine import PROFILES, Result
from inngest_conformance._hints import hints
from inngest_conformance._output_files import temporary_path
from inngest_conformance._render import to_badge, to_html, to_markdown
from inngest_conformance._requirements import Context, unreachable
from inngest_conformance._variants import split_exception
from inngest_conformance._version import __version__
from inngest_conformance._vocabulary import (
    CORE_LEVELS,
    LEVELS,
    ROLE_LEVELS,
    Level,
    Outcome,
    Profile,
    Role,
)
from inngest_conformance.errors import ReportWriteError as ReportWriteError  # re-exported
from inngest_conformance.errors import UsageError

if TYPE_CHECKING:
    from inngest_conformance._budget import Budget
    from inngest_conformance.strategies import RunSchema

__all__ = [
    "CERTIFICATE_FORMAT",
    "FORMAT",
    "VERDICTS",
    "RunInfo",
    "build_report",
    "certificate",
    "checked_report",
    "fingerprint",
    "report_schema",
    "verdict_text",
    "write_reports",
]

FORMAT = "inngest-conformance-report/1"
CERTIFICATE_FORMAT = "inngest-conformance-certificate/1"
PINNED = (
    "format",
    "seed",
    "profile",
    "role",
    "examples_per_requirement",
    "levels_covered",
    "exceptions",
)
VERDICTS = ("conformant", "non-conformant", "error")


@dataclass(frozen=True)
class RunInfo:
    """How a run was made: what its report header pins."""

    ctx: Context
    role: Role
    profile: Profile
    seed: int
    implementation: Description
    invocation: tuple[str, ...] = ()
    """The certify arguments that name the implementation, schema and model (for reproduce)."""
    levels: tuple[str, ...] = ()
    """The levels the verdict covers."""
    warnings: tuple[str, ...] = field(default=())
    exceptions: dict[str, str] = field(default_factory=dict)
    """Declared exceptions: requirement id -> why the implementation does not claim it."""
    budget: Budget | None = None
    """The search after the profile (``--max-time``/``--rounds``), when one was asked."""
    database: bool = False
    """Whether searches first tried failures saved by earlier runs (``--database``)."""
    audited: dict[str, int] | None = None
    """What an audit's verdict rests on: records, runs and transitions read (``audit`` only)."""


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


def verdict_text(report: dict[str, Any]) -> str:
    """The verdict as people read it: never silently conformant about what was left out."""
    parts = [str(report["verdict"])]
    covered = report.get("levels_covered")
    own = ROLE_LEVELS.get(report["role"], tuple(covered or ()))
    if covered and tuple(lvl for lvl in covered if lvl in own) != own:
        parts.append(f"covering {', '.join(covered)} only")
    if covered and "concurrency" in covered:
        judged = report["levels"].get("concurrency") != "skipped"
        parts.append("concurrency probabilistic" if judged else "concurrency not judged")
    n = len(report.get("exceptions", []))
    if n:
        parts.append(f"{n} declared exception{'s' if n != 1 else ''}")
    w = sum(
        1 for r in report["requirements"] if r["outcome"] == "failed" and r["keyword"] != "MUST"
    )
    if w:
        parts.append(f"{w} SHOULD warning{'s' if w != 1 else ''}")
    if report.get("interrupted"):
        parts.append("interrupted")
    audited = report.get("audited")
    if isinstance(audited, dict):
        parts.append(_extent_text(audited))
        idle = sum(1 for r in report["requirements"] if r["outcome"] == "skipped")
        if idle:
            parts.append(f"{idle} requirement{'s' if idle != 1 else ''} not exercised")
    return ", ".join(parts)


def _extent_text(audited: dict[str, Any]) -> str:
    def n(key: str, word: str) -> str:
        count = int(audited.get(key, 0))
        return f"{count} {word}{'s' if count != 1 else ''}"

    return f"on {n('records', 'record')} of {n('runs', 'run')}, {n('transitions', 'transition')}"


def level_outcomes(results: Sequence[Result], levels: Sequence[str]) -> dict[Level, Outcome]:
    out: dict[Level, Outcome] = {}
    for level in LEVELS:
        if level not in CORE_LEVELS and level not in levels:
            continue  # an opt-in level is listed only where it was asked for
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


def exception_entry(key: str, reason: str) -> dict[str, str]:
    """A declared exception as report.json lists it; a variant (``ID[variant]``) also says
    which requirement and variant it names."""
    entry = {"id": key, "reason": reason}
    rid, variant = split_exception(key)
    if variant:
        entry.update(requirement=rid, variant=variant)
    return entry


def rerun_command(info: RunInfo, requirement_id: str) -> str:
    """The command that runs one requirement's whole search again (``rerun``; for an audit,
    the audit again)."""
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


IMPLEMENTATION_FLAGS = ("--target", "--command", "--url")


def implementation_words(invocation: Sequence[str]) -> list[str]:
    """The words of an invocation that name the implementation (``--target X``, ...)."""
    words: list[str] = []
    for flag, value in zip(invocation[::2], invocation[1::2], strict=False):
        if flag in IMPLEMENTATION_FLAGS:
            words += [flag, value]
    return words


def replay_command(info: RunInfo, requirement_id: str, report_path: str = "report.json") -> str:
    """The ``replay`` command for one failure: it names the implementation itself, since
    replay reaches only an implementation named on its command line."""
    words = ["inngest-conformance", "replay", report_path, *implementation_words(info.invocation)]
    return shlex.join([*words, "--requirement", requirement_id])


def case_command(
    info: RunInfo,
    requirement_id: str,
    case_id: str,
    *,
    column: str = "",
    report_path: str = "report.json",
) -> str:
    """The ``reproduce`` command of one failure: ``replay --case``, which sends exactly that
    one case again.  It names the implementation itself (and, for a compare report, whose
    failure it is: ``column``)."""
    words = ["inngest-conformance", "replay", report_path, *implementation_words(info.invocation)]
    if column:
        words += ["--implementation", column]
    return shlex.join([*words, "--requirement", requirement_id, "--case", case_id])


def reproduce_fields(info: RunInfo, row: dict[str, Any], column: str = "") -> dict[str, Any]:
    """A failed or errored row's commands: ``reproduce`` (the one case again, when the row
    has one; else the requirement's whole run), ``rerun`` (the whole run) and ``replay``
    (every saved case of the requirement).  Each entry of ``failures`` gets the
    ``reproduce`` of its own case."""
    rid = row["id"]
    if info.role == "source":
        return {"reproduce": rerun_command(info, rid)}
    rerun = rerun_command(info, rid)
    if row.get("search"):  # the same further rounds, so the same row
        rerun += f" --rounds {int(row['search']['rounds'])}"
    out: dict[str, Any] = {
        "reproduce": case_command(info, rid, row["case_id"], column=column)
        if row.get("case_id")
        else rerun,
        "rerun": rerun,
        "replay": replay_command(info, rid),
    }
    if row.get("failures"):
        out["failures"] = [
            {**f, "reproduce": case_command(info, rid, f["case_id"], column=column)}
            if f.get("case_id")
            else f
            for f in row["failures"]
        ]
    return out


def with_report_path(report: dict[str, Any], report_path: str) -> dict[str, Any]:
    """A copy of ``report`` whose ``replay`` commands (``replay``, and ``reproduce`` where it
    is one) name the report where it is written (``report_path`` as the user will type it:
    relative to where the command ran)."""

    def command(text: str) -> str:
        words = shlex.split(text)
        if words[1:2] != ["replay"]:
            return text
        words[2] = report_path
        return shlex.join(words)

    def moved(row: dict[str, Any]) -> dict[str, Any]:
        out = {k: command(row[k]) if k in ("replay", "reproduce") else row[k] for k in row}
        if isinstance(row.get("failures"), list):
            out["failures"] = [moved(f) for f in row["failures"]]
        return out

    out = {**report, "requirements": [moved(r) for r in report["requirements"]]}
    if isinstance(report.get("compare"), dict):
        section = report["compare"]
        out["compare"] = {
            **section,
            "implementations": [
                {**i, "failures": [moved(r) for r in i.get("failures", [])]}
                for i in section["implementations"]
            ],
        }
    return out


def _schema_entry(schema: RunSchema) -> dict[str, Any]:
    """The report's ``schema``: its hash and title; the draft it was read as, unless 2020-12,
    and the keywords no draft defines that were left unjudged, if any (so the run schema's
    entry is as it always was)."""
    entry: dict[str, Any] = {"sha256": schema.sha256, "title": schema.title}
    if schema.draft != "2020-12":
        entry["draft"] = schema.draft
    if schema.ignored:
        entry["ignored_keywords"] = dict(schema.ignored)
    return entry


def build_report(
    info: RunInfo,
    results: Sequence[Result],
    *,
    started_at: str,
    duration_s: float,
    interrupted: bool = False,
    column: str = "",
) -> dict[str, Any]:
    """The report.json document; ``column`` names the implementation in a comparison whose
    failures these are (its ``reproduce`` commands say ``--implementation COLUMN``)."""
    requirements = []
    for r in results:
        row = r.to_json()
        if r.requirement.id in info.exceptions:
            row["declared"] = True
        if r.outcome in ("failed", "errored"):
            row.update(reproduce_fields(info, row, column))
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
    report = {
        "format": FORMAT,
        "kit": {"version": __version__},
        "schema": _schema_entry(info.ctx.schema),
        "lifecycle_model": {"sha256": info.ctx.model.sha256},
        "seed": info.seed,
        "profile": info.profile,
        "examples_per_requirement": PROFILES[info.profile],
        **({"search": info.budget.summary(results)} if info.budget is not None else {}),
        **({"database": True} if info.database else {}),
        "role": info.role,
        "implementation": info.implementation.to_json(),
        "invocation": list(info.invocation),
        "verdict": verdict(results),
        "verdict_text": "",
        "levels": level_outcomes(results, info.levels or CORE_LEVELS),
        "levels_covered": list(info.levels or CORE_LEVELS),
        "exceptions": [exception_entry(k, v) for k, v in info.exceptions.items()],
        **({"unreachable": gone} if (gone := unreachable_entries(info)) else {}),
        "counts": counts,
        **({"audited": info.audited} if info.audited is not None else {}),
        "warnings": warnings,
        **({"hints": found} if (found := hints(info.ctx, results)) else {}),
        "requirements": requirements,
        "started_at": started_at,
        "duration_s": round(duration_s, 3),
    }
    if interrupted:
        report["interrupted"] = True
        report["verdict"] = "error"
    report["verdict_text"] = verdict_text(report)
    report["fingerprint"] = fingerprint(report)
    return report


def unreachable_entries(info: RunInfo) -> list[dict[str, str]]:
    """The report's ``unreachable`` list: the rules of the schema's subschemas that no
    value breaks alone (see :func:`~inngest_conformance._requirements.unreachable`), those
    of the levels a validator's run covers."""
    if info.role != "validator":
        return []
    levels = info.levels or LEVELS
    return [
        {"id": rid, "reason": why}
        for rid, why in unreachable(info.ctx.schema)
        if rid.split(":", 1)[0] in levels
    ]


def to_json_text(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=2, ensure_ascii=False) + "\n"


def report_schema() -> dict[str, Any]:
    """The JSON Schema of report.json, shipped in the package."""
    text = resources.files("inngest_conformance").joinpath("data/report.schema.json").read_text()
    schema: dict[str, Any] = json.loads(text)
    return schema


def checked_report(report: Any, where: str) -> dict[str, Any]:
    """``report`` (read from ``where``) if what it holds follows the report format, else a
    :class:`~inngest_conformance.errors.UsageError` naming the first place it does not: a
    report from elsewhere is data, and a malformed field must be one line, never a
    traceback further on."""
    import jsonschema

    if not isinstance(report, dict) or report.get("format") != FORMAT:
        raise UsageError(f"{where} is not an inngest-conformance report (format {FORMAT})")
    # What a report holds must have the report's shape; a field it leaves out (a report
    # made by hand for one purpose) is not asked for here: the commands read what they need.
    errors = jsonschema.Draft202012Validator(report_schema()).iter_errors(report)
    error = jsonschema.exceptions.best_match(e for e in errors if e.validator != "required")
    if error is not None:
        place = "/" + "/".join(str(p) for p in error.absolute_path)
        raise UsageError(
            f"{where} is not a well-formed report: {place}: {clip(one_line(error.message), 200)}"
        )
    return report


def fingerprint(report: dict[str, Any]) -> str:
    """SHA-256 over the pinned header and every requirement's outcome and case count.

    A third party who reruns the same kit version, schema, model, seed and profile against
    the same implementation gets the same fingerprint.
    """
    pinned = {key: report[key] for key in PINNED}
    pinned["kit"] = report["kit"]["version"]
    pinned["schema"] = report["schema"]["sha256"]
    pinned["lifecycle_model"] = report["lifecycle_model"]["sha256"]
    pinned["outcomes"] = [[r["id"], r["outcome"], r["examples"]] for r in report["requirements"]]
    # Only where asked for, so older fingerprints stay; the rounds run, not the time they
    # were given, so that --rounds N gives a --max-time run's fingerprint.
    if "search" in report:
        pinned["search"] = [report["search"]["rounds"], report["search"]["extra_cases"]]
    if report.get("database"):
        pinned["database"] = True
    return canonical_sha256(pinned)


def certificate(report: dict[str, Any]) -> dict[str, Any]:
    """What a certificate claims: the verdict per level, pinned by the fingerprint."""
    return {
        "format": CERTIFICATE_FORMAT,
        "implementation": report["implementation"],
        "verdict": report["verdict"],
        "verdict_text": report["verdict_text"],
        "levels": report["levels"],
        "levels_covered": report["levels_covered"],
        "exceptions": report["exceptions"],
        "kit": report["kit"],
        "schema": report["schema"],
        "lifecycle_model": report["lifecycle_model"],
        "seed": report["seed"],
        "profile": report["profile"],
        "role": report["role"],
        "examples_per_requirement": report["examples_per_requirement"],
        # A search after the profile, or a database-assisted one, is never left unsaid.
        **{key: report[key] for key in ("search", "database") if key in report},
        "counts": report["counts"],
        "fingerprint": report["fingerprint"],
        "issued_at": report["started_at"],
    }


def write_reports(report: dict[str, Any], directory: str | os.PathLike[str]) -> list[Path]:
    """Write report.json, report.md, report.html and badge.svg into ``directory``; also
    certificate.json for a complete run at the ``certify`` profile."""
    out = Path(directory)
    report = with_report_path(report, str(out / "report.json"))
    files = {
        "report.json": to_json_text(report),
        "report.md": to_markdown(report),
        "report.html": to_html(report),
        "badge.svg": to_badge(report),
    }
    if report["profile"] == "certify" and not report.get("interrupted"):
        files["certificate.json"] = to_json_text(certificate(report))
    # Every file is written to a temporary name first and only then renamed into place,
    # so a folder that cannot take them all is left as it was.
    staged: list[tuple[Path, Path]] = []
    try:
        out.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            path = out / name
            if path.is_dir():
                raise IsADirectoryError(errno.EISDIR, "a folder is in the way", str(path))
            tmp = temporary_path(path)
            staged.append((tmp, path))
            with open(tmp, "w", encoding="utf-8", errors=UNPAIRED, newline="\n") as fh:
                fh.write(text)
        for tmp, path in staged:
            os.replace(tmp, path)
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        raise ReportWriteError(
            f"cannot write reports to {out}: {exc.strerror or exc}{where}; "
            "choose another report folder"
        ) from None
    finally:
        for tmp, _ in staged:
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
    return [path for _, path in staged]
