"""Known failures: a baseline that can only shrink.

A project adopting the kit rarely starts conformant.  A *baseline* names the requirements
that fail today, each with why; a run against it still runs them (unlike a declared
exception), and its exit status follows the baseline instead of the verdict:

- a baselined requirement that fails or errors is a *known* failure: listed apart, it does
  not fail the run;
- a baselined requirement that now passes is *fixed*: it fails the run until it is removed
  from the baseline, so a fix is never lost and the baseline never holds a stale entry;
- a failure that is not baselined is *new*, and fails the run as it would without one.

A requirement can fail in several distinct ways (its ``failures``, each of a ``kind``), and a
release that fixes one kind may bring another.  So an entry records the requirement *and*
the kinds it failed with: a kind not among them is a new failure (it fails the run as an
unbaselined failure would), a kind gone from the run is fixed (it fails the run until the
baseline is updated).  An errored requirement has no kinds to compare: it stays known.

The verdict stays the truth about the implementation (a baselined MUST failure is still
non-conformant); only the exit status changes.  The file is what ``--update-baseline``
writes (a JSON object id -> ``{"reason", "kinds"}``), a report.json the kit wrote (its
failed and errored requirements, each with its message as the reason and its failures'
kinds), or the file ``--skip-file`` takes (lines ``ID reason``, or a JSON object id ->
reason): such an entry names the requirement only, and any failure of it is known, as
baselines were read before they recorded kinds.  In a comparison an entry applies to every
implementation, or, spelt ``ID@COLUMN``, to the one whose column is ``COLUMN`` (a compare
report's per-implementation failures read as such entries).
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


@dataclass(frozen=True, slots=True)
class Entry:
    """One known failure: why, and the kinds of failure it had.  ``kinds`` is ``None`` for
    an entry that names the requirement only (a hand-written line, a baseline written before
    kinds were recorded): any failure of it is known."""

    reason: str
    kinds: tuple[str, ...] | None = None

    def to_json(self) -> Any:
        """As a baseline file holds it: the reason alone for a requirement-only entry."""
        if self.kinds is None:
            return self.reason
        return {"reason": self.reason, "kinds": list(self.kinds)}


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


def kinds_of(row: Mapping[str, Any]) -> tuple[str, ...] | None:
    """The kinds of failure a row shows, sorted (a baseline's bytes do not follow the order
    a search found them in): its ``failures``' kinds; none for a row that did not fail (an
    errored one could not be judged); ``None`` for a failed row without ``failures`` (a
    report of an older kit), whose kinds are unknown."""
    if row["outcome"] != "failed":
        return ()
    failures = row.get("failures")
    if not failures:
        return None
    return tuple(sorted({str(f["kind"]) for f in failures}))


def _entry(row: Mapping[str, Any], reason: str | None = None) -> Entry:
    return Entry(_reason(row) if reason is None else reason, kinds_of(row))


def _file_entries(data: Any, where: str) -> dict[str, Entry]:
    """A baseline file's JSON object: id -> reason (the requirement only), or id ->
    ``{"reason": ..., "kinds": [...]}`` as ``--update-baseline`` writes it."""
    if not isinstance(data, dict):
        raise UsageError(f"{OPTION} {where}: not a JSON object id -> reason")
    out: dict[str, Entry] = {}
    for key, value in data.items():
        if isinstance(value, str) and value.strip():
            out[key] = Entry(value.strip())
            continue
        reason = value.get("reason") if isinstance(value, dict) else None
        kinds = value.get("kinds") if isinstance(value, dict) else None
        if (
            not isinstance(value, dict)
            or set(value) != {"reason", "kinds"}
            or not (isinstance(reason, str) and reason.strip())
            or not isinstance(kinds, list)
            or not all(isinstance(k, str) and k for k in kinds)
        ):
            raise UsageError(
                f"{OPTION} {where}: {key!r} needs a non-empty reason string, or an object "
                '{"reason": TEXT, "kinds": [KIND, ...]}'
            )
        out[key] = Entry(reason.strip(), tuple(sorted(set(kinds))))
    return out


@dataclass(frozen=True)
class Baseline:
    """The known failures of a baseline file: key (``ID`` or ``ID@COLUMN``) -> entry."""

    file: str
    entries: dict[str, Entry] = field(default_factory=dict)
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
            return cls(where, _file_entries(data, where))
        lines = parse_reasons(text, where, OPTION)
        return cls(where, {key: Entry(reason) for key, reason in lines.items()})

    @property
    def notice(self) -> str:
        """One line when entries name a requirement without its kinds of failure (a baseline
        written before kinds were recorded, or by hand); empty when every entry has them."""
        plain = sum(1 for e in self.entries.values() if e.kinds is None)
        if not plain:
            return ""
        return (
            f"note: baseline {self.file}: {plain} of {len(self.entries)} "
            + ("entry names" if len(self.entries) == 1 else "entries name")
            + " the requirement only, not its kinds of failure: any failure of it counts as "
            "known; --update-baseline records the kinds"
        )

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

    def of(self, column: str | None) -> dict[str, Entry]:
        """The entries for one implementation (``None``: a single one): id -> entry, an
        ``ID@COLUMN`` entry before a plain one."""
        out: dict[str, Entry] = {}
        for key, entry in self.entries.items():
            rid, col = self.split(key)
            mine = col is not None and col == column
            if mine or (col is None and rid not in out):
                out[rid] = entry
        return out


def _report_entries(report: dict[str, Any], where: str) -> dict[str, Entry]:
    """A report's failed and errored requirements, each with its message as the reason
    and its failures' kinds; a compare report's per implementation, as ``ID@COLUMN``."""
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
                f"{row['id']}@{impl['column']}": _entry(row)
                for impl in section["implementations"]
                for row in impl["failures"]
                if failing(row)
            }
        return {row["id"]: _entry(row) for row in report["requirements"] if failing(row)}
    except (KeyError, TypeError) as exc:
        raise UsageError(
            f"{OPTION} {where}: a report without {exc}, not one the kit wrote"
        ) from None


#: How a judged row stands against a baseline (``None``: it passes, or is only a warning).
STANDINGS = ("known", "fixed", "new")


@dataclass(frozen=True)
class Standing:
    """How one judged requirement stands against its baseline entry."""

    standing: str | None
    """``known``, ``fixed``, ``new``, or ``None`` (it passes, or is only a warning)."""
    kinds: dict[str, list[str]] | None = None
    """Its kinds of failure compared with the entry's: ``known``, ``fixed`` (in the entry,
    gone from the run) and ``new`` (in the run, not in the entry); ``None`` when no kinds
    were compared (an entry for the requirement only, an errored row)."""


def stand(row: Mapping[str, Any], entry: Entry | None) -> Standing:
    """Where a judged row (``passed``, ``failed`` or ``errored``) stands against ``entry``.

    A new kind of failure is new, as an unbaselined failure is (so only where it fails the
    run: a new kind of a SHOULD is a warning); a kind gone from the run is fixed; a row
    with both is new.  Neither an errored row nor an entry without kinds can say which
    kinds failed: such a failure is known."""
    now = kinds_of(row)
    if entry is None:
        if not fails_the_run(row):
            return Standing(None)
        compared = {"known": [], "fixed": [], "new": list(now)} if now else None
        return Standing("new", compared)
    if row["outcome"] == "passed":
        gone = {"known": [], "fixed": list(entry.kinds), "new": []} if entry.kinds else None
        return Standing("fixed", gone)
    if row["outcome"] == "errored" or entry.kinds is None or now is None:
        return Standing("known")
    compared = {
        "known": [k for k in now if k in entry.kinds],
        "fixed": [k for k in entry.kinds if k not in now],
        "new": [k for k in now if k not in entry.kinds],
    }
    if compared["new"] and fails_the_run(row):
        return Standing("new", compared)
    return Standing("fixed" if compared["fixed"] else "known", compared)


@dataclass(frozen=True)
class Judged:
    """One implementation's run against its baseline entries (ids, in catalogue order)."""

    known: tuple[str, ...]
    fixed: tuple[str, ...]
    new: tuple[str, ...]
    unchecked: tuple[str, ...]
    """Baselined requirements this run did not judge: left out, declared, or skipped."""
    reasons: dict[str, str]
    kinds: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    """For each requirement whose kinds were compared: its known, fixed and new kinds."""

    @property
    def passes(self) -> bool:
        return not self.fixed and not self.new


def judge(rows: Sequence[Mapping[str, Any]], entries: Mapping[str, Entry]) -> Judged:
    """Sort a run's requirement rows (``id``, ``keyword``, ``outcome``, ``failures``)
    against ``entries``."""
    found: dict[str, list[str]] = {name: [] for name in STANDINGS}
    kinds: dict[str, dict[str, list[str]]] = {}
    judged: set[str] = set()
    for row in rows:
        rid = row["id"]
        if row["outcome"] not in ("passed", "failed", "errored"):
            continue
        judged.add(rid)
        standing = stand(row, entries.get(rid))
        if standing.standing is not None:
            found[standing.standing].append(rid)
        if standing.kinds is not None and standing.standing is not None:
            kinds[rid] = standing.kinds
    unchecked = tuple(rid for rid in entries if rid not in judged)
    return Judged(
        tuple(found["known"]),
        tuple(found["fixed"]),
        tuple(found["new"]),
        unchecked,
        {rid: entries[rid].reason for rid in found["known"]},
        kinds,
    )


def _compare_rows(report: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Each implementation's requirement rows in a compare report, by column: its own
    evidence where it failed (message and kinds), the matrix's outcome elsewhere."""
    section = report["compare"]
    out: dict[str, list[dict[str, Any]]] = {}
    for impl in section["implementations"]:
        column = impl["column"]
        own = {f["id"]: f for f in impl.get("failures", [])}
        out[column] = [
            {
                "id": row["id"],
                "keyword": row["keyword"],
                "outcome": row["outcomes"][column],
                "message": own.get(row["id"], {}).get("message", ""),
                **(
                    {"failures": own[row["id"]]["failures"]}
                    if own.get(row["id"], {}).get("failures")
                    else {}
                ),
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


def section(
    report: Mapping[str, Any], baseline: Baseline, *, rewritten: bool = False
) -> dict[str, Any]:
    """The report's ``baseline`` section: known, fixed and new failures (``ID@COLUMN`` in a
    comparison, with each implementation's own lists in ``implementations``), the kinds
    compared, and (``rewritten``) whether this run wrote the baseline it was judged by."""
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
        "kinds": {_key(rid, c): k for c, j in runs.items() for rid, k in j.kinds.items()},
        "passes": all(j.passes for j in runs.values()),
    }
    if rewritten:
        out["updated"] = True
    if None not in runs:
        out["implementations"] = [
            {
                "column": column,
                "known": list(j.known),
                "fixed": list(j.fixed),
                "new": list(j.new),
                "kinds": j.kinds,
                "passes": j.passes,
            }
            for column, j in runs.items()
        ]
    return out


def with_baseline(
    report: dict[str, Any], baseline: Baseline | None, *, rewritten: bool = False
) -> dict[str, Any]:
    """``report`` with its ``baseline`` section (as it is without a baseline)."""
    if baseline is None:
        return report
    return {**report, "baseline": section(report, baseline, rewritten=rewritten)}


def exit_status(report: Mapping[str, Any], code: int) -> int:
    """The run's exit status: ``code`` (what the verdict says) unless a baseline decides,
    which it does for a run that judged something: 0 when it passes, else 1."""
    judged = report.get("baseline")
    if judged is None or code not in (0, 1):
        return code
    return 0 if judged["passes"] else 1


def updated(report: Mapping[str, Any], baseline: Baseline) -> dict[str, Entry]:
    """The baseline ``--update-baseline`` writes: the run's failures and errors, each
    with its reason (the entry's own where it had one, else the message) and the kinds it
    failed with now (an errored one keeps its entry's: an error shows none), plus the
    entries this run did not judge, kept as they were.  A plain ``ID`` stays plain while
    it holds, the same, for every implementation; otherwise it becomes one ``ID@COLUMN``
    per implementation."""
    runs = _runs(report)
    columns = list(runs)
    wanted: dict[str, dict[str | None, Entry]] = {}  # id -> column -> entry
    for column, rows in runs.items():
        mine = baseline.of(column)
        judged = {row["id"] for row in rows if row["outcome"] in ("passed", "failed", "errored")}
        for row in rows:
            if not failing(row):
                continue
            old = mine.get(row["id"])
            entry = _entry(row, old.reason if old is not None else None)
            if row["outcome"] == "errored" and old is not None:
                entry = replace(entry, kinds=old.kinds)
            wanted.setdefault(row["id"], {})[column] = entry
        for rid, entry in mine.items():
            if rid not in judged:
                wanted.setdefault(rid, {})[column] = entry
    out: dict[str, Entry] = {}
    for rid, per in wanted.items():
        if rid in baseline.entries and set(per) == set(columns) and len(set(per.values())) == 1:
            out[rid] = next(iter(per.values()))
            continue
        for column, entry in per.items():
            out[_key(rid, column)] = entry
    return dict(sorted(out.items()))


def rewritten(report: dict[str, Any], baseline: Baseline) -> tuple[dict[str, Any], Baseline]:
    """What ``--update-baseline`` makes of a run: the baseline it writes (:func:`updated`)
    and the report judged against that one, so that the report, the JUnit file and the
    exit status say what the run leaves behind (its failures known, nothing fixed or new).
    ``baseline`` is the one the run was judged by (:meth:`Baseline.checked`)."""
    after = replace(baseline, entries=updated(report, baseline), from_report=False)
    return with_baseline(report, after, rewritten=True), after


def write(path: str | os.PathLike[str], entries: Mapping[str, Entry]) -> None:
    """A baseline file: one JSON object id -> ``{"reason", "kinds"}`` (a requirement-only
    entry kept as its reason alone), keys sorted, the same bytes for the same entries."""
    document = {key: entries[key].to_json() for key in sorted(entries)}
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    write_atomic(Path(path), [text])


def _kinds_text(kinds: Sequence[str]) -> str:
    return ", ".join(kinds)


def changes(before: Mapping[str, Entry], after: Mapping[str, Entry]) -> list[str]:
    """What an update changed, a phrase each: the keys added (with their kinds), removed,
    and the kinds an entry kept gained or lost (or got recorded, for a requirement-only
    entry)."""
    out = []
    for key in sorted(set(after) - set(before)):
        kinds = after[key].kinds
        out.append(f"added {key}" + (f" ({_kinds_text(kinds)})" if kinds else ""))
    out += [f"removed {key}" for key in sorted(set(before) - set(after))]
    for key in sorted(set(before) & set(after)):
        old, new = before[key].kinds, after[key].kinds
        if old == new or new is None:
            continue
        if old is None:
            out.append(f"kinds of {key} recorded ({_kinds_text(new)})")
            continue
        gained = [k for k in new if k not in old]
        lost = [k for k in old if k not in new]
        if gained:
            out.append(f"kinds of {key} added ({_kinds_text(gained)})")
        if lost:
            out.append(f"kinds of {key} removed ({_kinds_text(lost)})")
    return out


def update_line(file: str, before: Mapping[str, Entry], after: Mapping[str, Entry]) -> str:
    """What ``--update-baseline`` says it wrote: how many entries and kinds of failure, and
    what changed."""
    kinds = sum(len(e.kinds or ()) for e in after.values())
    counted = (
        f"{len(after)} "
        + ("entry" if len(after) == 1 else "entries")
        + f", {kinds} "
        + ("kind" if kinds == 1 else "kinds")
        + " of failure"
    )
    return f"baseline {file} updated: {counted}" + "".join(f"; {c}" for c in changes(before, after))
