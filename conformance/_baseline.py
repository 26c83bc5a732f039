"""Known failures: a baseline that can only shrink.

A project adopting the kit rarely starts conformant.  A *baseline* names the requirements
that fail today, each with why; a run against it still runs them (unlike a declared
exception), and its exit status follows the baseline instead of the verdict:

- a baselined requirement that fails or errors is a *known* failure: listed apart, it does
  not fail the run;
- a baselined requirement that now passes is *fixed*: it fails the run until it is removed
  from the baseline, so a fix is never lost and the baseline never holds a stale entry;
- a failure that is not baselined is *new*, and fails the run as it would without one.

The verdict stays the truth about the implementation (a baselined MUST failure is still
non-conformant); only the exit status changes.  The file is a report.json the kit wrote
(its failed and errored requirements, each with its message as the reason) or the file
``--skip-file`` takes (lines ``ID reason``, or a JSON object id -> reason).  In a comparison
an entry applies to every implementation, or, spelt ``ID@COLUMN``, to the one whose column
is ``COLUMN`` (a compare report's per-implementation failures read as such entries).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from inngest_conformance._output_files import write_atomic
from inngest_conformance._planning import parse_reasons
from inngest_conformance._requirements import Context, catalogue
from inngest_conformance._variants import split_exception
from inngest_conformance._vocabulary import Role
from inngest_conformance.errors import UsageError
from inngest_conformance.report import FORMAT
from inngest_conformance.strategies._files import read_text

OPTION = "--baseline"
#: What a report.json's ``format`` starts with, whatever its version.
_REPORT_FORMAT = FORMAT.rpartition("/")[0] + "/"


def _reason(row: Mapping[str, Any]) -> str:
    """A failure's reason in a baseline: its message on one line, else its outcome."""
    return " ".join(str(row.get("message") or "").split()) or str(row["outcome"])


def failing(row: Mapping[str, Any]) -> bool:
    """Whether a requirement row failed or errored: what a baseline can hold."""
    return str(row["outcome"]) in ("failed", "errored")


def fails_the_run(row: Mapping[str, Any]) -> bool:
    """Whether a row fails a run without a baseline: a failed MUST, or an error (a failed
    SHOULD is a warning)."""
    outcome, keyword = str(row["outcome"]), str(row["keyword"])
    return outcome == "errored" or (outcome == "failed" and keyword == "MUST")


@dataclass(frozen=True)
class Baseline:
    """The known failures of a baseline file: key (``ID`` or ``ID@COLUMN``) -> reason."""

    file: str
    entries: dict[str, str] = field(default_factory=dict)
    from_report: bool = False
    """Whether the file is a report.json (``--update-baseline`` never overwrites one)."""
    ids: frozenset[str] = frozenset()
    """The catalogue's ids, once :meth:`checked`: ``ID@COLUMN`` splits after a whole id."""

    @classmethod
    def read(cls, path: str | os.PathLike[str], *, missing_ok: bool = False) -> Baseline:
        """The baseline in ``path``; an empty one when it does not exist and ``missing_ok``
        (``--update-baseline`` starts a baseline that way)."""
        where = os.fspath(path)
        if missing_ok and not Path(where).exists():
            return cls(where)
        text = read_text(where, OPTION, UsageError)
        if text.lstrip().startswith("{"):
            try:
                data = json.loads(text)
            except json.JSONDecodeError as exc:
                raise UsageError(f"{OPTION} {where} is not JSON: {exc}") from None
            if isinstance(data, dict) and "format" in data:
                return cls(where, _report_entries(data, where), from_report=True)
        return cls(where, parse_reasons(text, where, OPTION))

    def checked(self, ctx: Context, role: Role, columns: Sequence[str] = ()) -> Baseline:
        """This baseline, its keys read against the catalogue; a usage error for an entry the
        run cannot judge: an id not among ``role``'s requirements, a variant, or
        (``ID@COLUMN``) a column not among ``columns``, the comparison's."""
        known = frozenset(r.id for r in catalogue(ctx.schema, model=ctx.model))
        out = replace(self, ids=known)
        mine = {r.id for r in catalogue(ctx.schema, role=role, model=ctx.model)}
        where = f"{OPTION} {self.file}"
        for key in self.entries:
            rid, column = out.split(key)
            if column is not None and not columns:
                raise UsageError(
                    f"{where}: {key!r} names an implementation ({column!r}); an ID@COLUMN "
                    "entry is for compare, certify takes plain ids"
                )
            if column is not None and column not in columns:
                raise UsageError(
                    f"{where}: {key!r}: no implementation {column!r} in this comparison "
                    f"(its columns: {', '.join(columns)})"
                )
            if rid not in known:
                base, variant = split_exception(rid)
                if variant is not None and base in known:
                    raise UsageError(
                        f"{where}: {rid!r} is a variant; a baseline names whole requirements "
                        "(declare a variant with --skip)"
                    )
                raise UsageError(
                    f"{where}: no requirement {rid!r}; `inngest-conformance requirements` "
                    "lists them"
                )
            if rid not in mine:
                raise UsageError(f"{where}: {rid!r} is not one of role {role}'s requirements")
        return out

    def split(self, key: str) -> tuple[str, str | None]:
        """``ID`` -> (ID, None); ``ID@COLUMN`` -> (ID, COLUMN), split after the first
        prefix that is a whole id (a property may be named with an ``@``), else at the
        first ``@``."""
        if key in self.ids:
            return key, None
        at = [i for i, c in enumerate(key) if c == "@"]
        i = next((i for i in at if key[:i] in self.ids), at[0] if at else None)
        return (key, None) if i is None else (key[:i], key[i + 1 :])

    def of(self, column: str | None) -> dict[str, str]:
        """The entries for one implementation (``None``: a single one): id -> reason, an
        ``ID@COLUMN`` entry's reason before a plain one's."""
        out: dict[str, str] = {}
        for key, reason in self.entries.items():
            rid, col = self.split(key)
            mine = col is not None and col == column
            if mine or (col is None and rid not in out):
                out[rid] = reason
        return out


def _report_entries(report: dict[str, Any], where: str) -> dict[str, str]:
    """A report's failed and errored requirements, each with its message as the reason;
    a compare report's per implementation, as ``ID@COLUMN``."""
    fmt = report.get("format")
    if not (isinstance(fmt, str) and fmt.startswith(_REPORT_FORMAT)):
        raise UsageError(
            f"{OPTION} {where} is neither a report.json of inngest-conformance nor an object "
            "id -> reason"
        )
    try:
        section = report.get("compare")
        if isinstance(section, dict):
            return {
                f"{row['id']}@{impl['column']}": _reason(row)
                for impl in section["implementations"]
                for row in impl["failures"]
                if failing(row)
            }
        return {row["id"]: _reason(row) for row in report["requirements"] if failing(row)}
    except (KeyError, TypeError) as exc:
        raise UsageError(
            f"{OPTION} {where}: a report without {exc}, not one the kit wrote"
        ) from None


@dataclass(frozen=True)
class Judged:
    """One implementation's run against its baseline entries (ids, in catalogue order)."""

    known: tuple[str, ...]
    fixed: tuple[str, ...]
    new: tuple[str, ...]
    unchecked: tuple[str, ...]
    """Baselined requirements this run did not judge: left out, declared, or skipped."""
    reasons: dict[str, str]

    @property
    def passes(self) -> bool:
        return not self.fixed and not self.new


def judge(rows: Sequence[Mapping[str, Any]], entries: Mapping[str, str]) -> Judged:
    """Sort a run's requirement rows (``id``, ``keyword``, ``outcome``) against ``entries``."""
    known: list[str] = []
    fixed: list[str] = []
    new: list[str] = []
    judged: set[str] = set()
    for row in rows:
        rid = row["id"]
        if row["outcome"] not in ("passed", "failed", "errored"):
            continue
        judged.add(rid)
        if rid in entries:
            (known if failing(row) else fixed).append(rid)
        elif fails_the_run(row):
            new.append(rid)
    unchecked = tuple(rid for rid in entries if rid not in judged)
    return Judged(
        tuple(known),
        tuple(fixed),
        tuple(new),
        unchecked,
        {rid: entries[rid] for rid in known},
    )


def _compare_rows(report: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Each implementation's requirement rows in a compare report, by column."""
    section = report["compare"]
    out: dict[str, list[dict[str, Any]]] = {}
    for impl in section["implementations"]:
        column = impl["column"]
        messages = {f["id"]: f.get("message", "") for f in impl.get("failures", [])}
        out[column] = [
            {
                "id": row["id"],
                "keyword": row["keyword"],
                "outcome": row["outcomes"][column],
                "message": messages.get(row["id"], ""),
            }
            for row in section["matrix"]
        ]
    return out


def _runs(report: Mapping[str, Any]) -> dict[str | None, list[dict[str, Any]]]:
    """The report's runs by column: ``None`` for a single implementation's."""
    if isinstance(report.get("compare"), dict):
        return {column: rows for column, rows in _compare_rows(report).items()}
    return {None: list(report["requirements"])}


def _key(rid: str, column: str | None) -> str:
    return rid if column is None else f"{rid}@{column}"


def section(report: Mapping[str, Any], baseline: Baseline) -> dict[str, Any]:
    """The report's ``baseline`` section: known, fixed and new failures (``ID@COLUMN`` in a
    comparison, with each implementation's own lists in ``implementations``)."""
    runs = {column: judge(rows, baseline.of(column)) for column, rows in _runs(report).items()}

    def joined(name: str) -> list[str]:
        return [_key(rid, c) for c, j in runs.items() for rid in getattr(j, name)]

    out: dict[str, Any] = {
        "file": baseline.file,
        "known": joined("known"),
        "fixed": joined("fixed"),
        "new": joined("new"),
        "unchecked": joined("unchecked"),
        "reasons": {_key(rid, c): r for c, j in runs.items() for rid, r in j.reasons.items()},
        "passes": all(j.passes for j in runs.values()),
    }
    if None not in runs:
        out["implementations"] = [
            {
                "column": column,
                "known": list(j.known),
                "fixed": list(j.fixed),
                "new": list(j.new),
                "passes": j.passes,
            }
            for column, j in runs.items()
        ]
    return out


def with_baseline(report: dict[str, Any], baseline: Baseline | None) -> dict[str, Any]:
    """``report`` with its ``baseline`` section (as it is without a baseline)."""
    if baseline is None:
        return report
    return {**report, "baseline": section(report, baseline)}


def exit_status(report: Mapping[str, Any], code: int) -> int:
    """The run's exit status: ``code`` (what the verdict says) unless a baseline decides,
    which it does for a run that judged something: 0 when it passes, else 1."""
    judged = report.get("baseline")
    if judged is None or code not in (0, 1):
        return code
    return 0 if judged["passes"] else 1


def updated(report: Mapping[str, Any], baseline: Baseline) -> dict[str, str]:
    """The baseline ``--update-baseline`` writes: the run's failures and errors, each
    with its reason (the entry's own where it had one, else the message), plus the entries
    this run did not judge, kept as they were.  A plain ``ID`` stays plain while it holds
    for every implementation; otherwise it becomes one ``ID@COLUMN`` per implementation."""
    runs = _runs(report)
    columns = list(runs)
    wanted: dict[str, dict[str | None, str]] = {}  # id -> column -> reason
    for column, rows in runs.items():
        mine = baseline.of(column)
        judged = {row["id"] for row in rows if row["outcome"] in ("passed", "failed", "errored")}
        for row in rows:
            if failing(row):
                wanted.setdefault(row["id"], {})[column] = mine.get(row["id"], _reason(row))
        for rid, reason in mine.items():
            if rid not in judged:
                wanted.setdefault(rid, {})[column] = reason
    out: dict[str, str] = {}
    for rid, per in wanted.items():
        if rid in baseline.entries and set(per) == set(columns):
            out[rid] = baseline.entries[rid]
            continue
        for column, reason in per.items():
            out[_key(rid, column)] = reason
    return dict(sorted(out.items()))


def write(path: str | os.PathLike[str], entries: Mapping[str, str]) -> None:
    """A baseline file: one JSON object id -> reason, keys sorted, the same bytes for the
    same entries."""
    text = json.dumps(dict(sorted(entries.items())), indent=2, ensure_ascii=False) + "\n"
    write_atomic(Path(path), [text])


def changes(before: Mapping[str, str], after: Mapping[str, str]) -> tuple[list[str], list[str]]:
    """The keys an update added and removed."""
    return sorted(set(after) - set(before)), sorted(set(before) - set(after))
