"""Human formats of a report: Markdown, a self-contained HTML page, an SVG badge.

Counterexamples are hostile by design (markup, control characters, NUL, non-BMP characters,
very long strings, deep nesting), so every value passes through :func:`visible` before it
reaches a human format: characters that are not printable become ``\\uXXXX`` escapes, long
values are elided with a pointer to ``report.json`` (which keeps them whole), and each
format then applies its own escaping (HTML entities, Markdown table pipes, code-span fences).
"""

from __future__ import annotations

import html
import json
import re
from typing import Any, TypeGuard

#: Longest value shown whole in a human format; report.json always keeps the whole value.
ELIDE_AT = 2000
OUTCOME_COLOURS = {
    "passed": "#2e7d32",
    "failed": "#c62828",
    "errored": "#ef6c00",
    "skipped": "#757575",
}
VERDICT_COLOURS = {"conformant": "#2e7d32", "non-conformant": "#c62828", "error": "#ef6c00"}


def visible(value: Any, *, limit: int = ELIDE_AT, indent: int | None = None) -> str:
    """``value`` as JSON (strings as they are), every non-printable character escaped."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, indent=indent)
    out = []
    for c in text:
        if c.isprintable() or (indent is not None and c == "\n"):
            out.append(c)
        else:
            code = ord(c)
            out.append(f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}")
    shown = "".join(out)
    if len(shown) > limit:
        shown = shown[:limit] + f"… ({len(shown) - limit} more characters in report.json)"
    return shown


#: How much of each counterexample the terminal's list of failure kinds shows.
KIND_LINE = 110


def is_program(value: Any) -> TypeGuard[list[dict[str, Any]]]:
    """Whether a counterexample is a lifecycle program (a list of operations)."""
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(op, dict) and isinstance(op.get("op"), str) for op in value)
    )


def program_lines(program: list[dict[str, Any]], *, limit: int = ELIDE_AT) -> list[str]:
    """A lifecycle program, one operation a line, numbered as the ``step N`` of a message:
    the whole program, since the step that breaks it is often the last."""
    return [f"[{i}] {visible(op, limit=limit)}" for i, op in enumerate(program)]


def counterexample_text(row: dict[str, Any]) -> str:
    """The terminal's counterexample of a failed row: a record on one line (clipped), a
    lifecycle program whole, one operation a line."""
    case = row.get("counterexample")
    if is_program(case):
        n = len(case)
        lines = "".join(f"    {line}\n" for line in program_lines(case))
        return f"  counterexample ({n} operation{'s' if n != 1 else ''}):\n{lines}"
    return f"  counterexample: {json.dumps(case)[:300]}\n"


def hint_texts(report: dict[str, Any]) -> list[str]:
    """The one line each of the report's hints (what its failures usually mean)."""
    return [str(h["text"]) for h in report.get("hints", ())]


def failure_kinds(row: dict[str, Any]) -> str:
    """The terminal's list of a failed requirement's distinct failure kinds (empty when it
    has one): for records one line each, the kind and its counterexample; for lifecycle
    programs each kind's own message and its whole program."""
    failures = row.get("failures") or []
    if len(failures) < 2:
        return ""
    lines = [f"  {len(failures)} kinds of failure (report.json has each in full):\n"]
    if all(is_program(f.get("counterexample")) for f in failures):
        for f in failures:
            kind = visible(f["kind"], limit=80)
            lines.append(f"    {kind}: {visible(f.get('message', ''), limit=KIND_LINE * 3)}\n")
            if f.get("case_id") and f.get("case_id") == row.get("case_id"):
                lines.append("      (the program above)\n")
            else:
                lines += [f"      {line}\n" for line in program_lines(f["counterexample"])]
        return "".join(lines)
    width = min(max(len(f["kind"]) for f in failures), 40)
    varying = _varying_keys([f.get("counterexample") for f in failures])
    for f in failures:
        case = f.get("counterexample")
        if varying and isinstance(case, dict):
            # The properties the kinds differ in: the rest is the headline's record.
            case = {k: case[k] for k in case if k in varying}
            shown = "{... " + visible(case, limit=KIND_LINE)[1:]
        else:
            shown = visible(case, limit=KIND_LINE)
        lines.append(f"    {visible(f['kind'], limit=80):<{width}}  {shown}\n")
    return "".join(lines)


def _varying_keys(cases: list[Any]) -> set[str]:
    """The keys whose values differ between record counterexamples (empty unless every
    case is a record)."""
    if not cases or not all(isinstance(c, dict) for c in cases):
        return set()
    keys = {k for c in cases for k in c}
    missing = object()
    return {
        k for k in keys if len({json.dumps(c.get(k, missing), default=repr) for c in cases}) > 1
    }


def declared_note(row: dict[str, Any]) -> str:
    """The declared variants of a requirement row, for the line that shows its outcome."""
    names = [d["variant"] for d in row.get("declared_variants", ())]
    return f" (not claimed: {', '.join(names)})" if names else ""


#: What a fixed requirement's line says (the message a run against a baseline fails with).
FIXED = "fixed: remove it from the baseline"
#: What a requirement that still fails, but no longer in every kind its entry names, says.
FIXED_KINDS = "kinds of failure fixed: update the baseline (--update-baseline)"
#: What a JUnit test case and a summary say of a known failure.
KNOWN = "known failure (baseline)"


def baseline_heading(section: dict[str, Any]) -> str:
    """One line: the baseline, what it found, and whether the run passes against it (for
    a baseline the run rewrote, that it was updated)."""

    def n(name: str, one: str, many: str) -> str:
        count = len(section[name])
        return f"{count} {one if count == 1 else many}"

    found = ", ".join(
        [
            n("known", "known failure", "known failures"),
            n("fixed", "fixed", "fixed"),
            n("new", "new failure", "new failures"),
        ]
    )
    ends = "the run passes" if section["passes"] else "the run fails"
    updated = " (updated by this run)" if section.get("updated") else ""
    return f"baseline {section['file']}{updated}: {found}; {ends}"


def standing(section: dict[str, Any] | None, key: str) -> str | None:
    """Where a requirement (``ID``, ``ID@COLUMN`` in a comparison) stands in a report's
    ``baseline`` section: ``known``, ``fixed``, ``new``, or ``None`` (no baseline, or
    neither: it passes, or is only a warning)."""
    if not section:
        return None
    return next((name for name in ("new", "fixed", "known") if key in section[name]), None)


def deciding_baseline(report: dict[str, Any]) -> dict[str, Any] | None:
    """The report's ``baseline`` section where it decides the exit status: always in a
    comparison, and in a single run that judged something (one that judged nothing exits
    2 whatever its baseline says: its errors stay errors)."""
    section = report.get("baseline") or None
    if section is None or isinstance(report.get("compare"), dict):
        return section
    judged = any(r["outcome"] in ("passed", "failed") for r in report["requirements"])
    return section if judged else None


def fixed_kinds(section: dict[str, Any], key: str) -> list[str]:
    """The kinds of failure a fixed requirement no longer shows while it still fails in
    others (empty when it passes now: the whole entry is fixed)."""
    return _gone(section.get("kinds", {}).get(key))


def _gone(kinds: dict[str, Any] | None) -> list[str]:
    kinds = kinds or {}
    return list(kinds.get("fixed", [])) if kinds.get("known") or kinds.get("new") else []


def standing_text(name: str, reason: str = "", kinds: dict[str, Any] | None = None) -> str:
    """What to say of a requirement that stands ``name`` (known, fixed, new or unchecked)
    against a baseline: a known one's reason, and the kinds of failure that decide it
    (``kinds``: its known, fixed and new kinds, when they were compared)."""
    kinds = kinds or {}
    if name == "known":
        if kinds.get("new"):  # a SHOULD: a new kind is a warning
            return f"{reason} (a new kind, a warning: {', '.join(kinds['new'])})"
        return reason
    if name == "fixed":
        gone = _gone(kinds)
        return f"{FIXED_KINDS}: {', '.join(gone)}" if gone else FIXED
    if name == "new":
        if kinds.get("known") or kinds.get("fixed"):
            also = f" (fixed: {', '.join(kinds['fixed'])})" if kinds.get("fixed") else ""
            return f"new kinds of failure, not in the baseline: {', '.join(kinds['new'])}{also}"
        return "failed, not in the baseline"
    return "not judged in this run"


def baseline_say(section: dict[str, Any], name: str, key: str) -> str:
    """What to say of one entry a run against a baseline found (:func:`standing_text`)."""
    reason = str(section.get("reasons", {}).get(key, ""))
    return standing_text(name, reason, section.get("kinds", {}).get(key))


def baseline_items(section: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(kind, key, what to say) for every entry a run against a baseline found: known
    failures with their reasons, fixed ones, new ones, and entries not judged here."""
    return [
        (name, key, baseline_say(section, name, key))
        for name in ("known", "fixed", "new", "unchecked")
        for key in section.get(name, ())
    ]


def baseline_lines(section: dict[str, Any], *, quiet: bool = False) -> list[str]:
    """The terminal's short list of a run against a baseline: the heading, then one line
    an entry (``quiet``: only those that fail the run)."""
    return [baseline_heading(section)] + [
        f"  {kind:<9} {key}" + (f": {say}" if say else "")
        for kind, key, say in baseline_items(section)
        if not quiet or kind in ("fixed", "new")
    ]


def _text(report: dict[str, Any]) -> str:
    return str(report.get("verdict_text") or report["verdict"])


def _md_cell(value: Any, limit: int = 160) -> str:
    """Text for a Markdown line or table cell: what Markdown would read as markup escaped
    (``&`` and ``<`` start entities and HTML, ``|`` ends a cell, ``[`` and ``]`` make links
    and images, ``://`` and ``www.`` make autolinks), nothing else (``->`` stays ``->``).
    An implementation's text is data: it never becomes a link, an image or a heading."""
    return (
        visible(value, limit=limit)
        .replace("\\", "\\\\")
        .replace("|", "\\|")
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace("[", "\\[")
        .replace("]", "\\]")
        .replace("://", ":\\/\\/")
        .replace("www.", "www\\.")
    )


def _md_block(lines: list[str], indent: str = "") -> list[str]:
    """A fenced code block (nothing inside needs escaping), its fence longer than any run
    of backticks in it."""
    longest = max((len(m) for line in lines for m in re.findall("`+", line)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{indent}{fence}text", *(f"{indent}{line}" for line in lines), f"{indent}{fence}"]


def _md_counterexample(value: Any, name: str = "counterexample") -> list[str]:
    """A counterexample as Markdown: a record in a code span, a lifecycle program whole in
    a code block, one operation a line."""
    if is_program(value):
        n = len(value)
        return [
            f"- {name} ({n} operation{'s' if n != 1 else ''}):",
            "",
            *_md_block(program_lines(value), "  "),
            "",
        ]
    return [f"- {name}: {_md_code(value)}"]


def _md_hints(report: dict[str, Any]) -> list[str]:
    """The report's hints, each one line: what its failures usually mean."""
    texts = hint_texts(report)
    if not texts:
        return []
    return ["", "## What this usually means", "", *(f"- {_md_cell(t, 800)}" for t in texts)]


def _md_code(value: Any, limit: int = 600) -> str:
    """An inline code span that survives any backticks in the value."""
    text = visible(value, limit=limit)
    run = longest = 0
    for c in text:
        run = run + 1 if c == "`" else 0
        longest = max(longest, run)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _answer_text(token: dict[str, Any]) -> str:
    if "errored" in token:
        return f"errored: {token['errored']}"
    answer = token.get("answer")
    shown = json.dumps(answer, ensure_ascii=False) if answer is not None else ""
    return ("agrees" if token.get("ok") else "DISAGREES") + (f" {shown}" if shown else "")


def _md_compare(section: dict[str, Any]) -> list[str]:
    names = [i["column"] for i in section["implementations"]]
    lines = [
        "",
        "## Comparison",
        "",
        "| requirement | " + " | ".join(_md_cell(n, 60) for n in names) + " |",
        "| --- |" + " --- |" * len(names),
    ]
    for row in section["matrix"]:
        cells = " | ".join(row["outcomes"][n] for n in names)
        lines.append(f"| {_md_code(row['id'])} | {cells} |")
    totals = section["totals"]
    lines.append(
        "| **totals** (passed/failed/errored) | "
        + " | ".join(
            f"{totals[n]['passed']}/{totals[n]['failed']}/{totals[n]['errored']}" for n in names
        )
        + " |"
    )
    if section["disagreements"]:
        lines += ["", "### Disagreements (shrunk)", ""]
        for d in section["disagreements"]:
            lines += [f"- `{d['requirement']}`: case {_md_code(d['case'])}"]
            lines += [
                f"  - {_md_cell(n, 60)}: {_md_cell(_answer_text(t), 300)}"
                for n, t in d["answers"].items()
            ]
    own = _own_failures(section)
    if own:
        lines += ["", "### Each implementation's failures", ""]
        for column, f in own:
            lines += [f"- `{f['id']}` [{_md_cell(column, 60)}]: {f['outcome']}"]
            lines += [f"  - reproduce (this case): {_md_command(f.get('reproduce', ''))}"]
            if f.get("rerun"):
                lines += [f"  - rerun (the whole search): {_md_command(f['rerun'])}"]
    return lines


def _own_failures(section: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(column, failure) for each implementation's own failures in a comparison."""
    return [
        (str(i.get("column", "")), f)
        for i in section["implementations"]
        for f in i.get("failures", [])
    ]


def cases_note(report: dict[str, Any]) -> str:
    """What the "cases" column counts (more than the profile's examples), said under it in
    every format."""
    if report.get("role") == "source":
        return "cases: the records read from the file"
    return (
        "cases: inputs put to the implementation for a requirement: the profile's drawn "
        "examples, plus one directed case per variant or transition, plus those tried while "
        "shrinking a failure; a lifecycle case is one whole program of create/transition/get"
    )


def search_note(report: dict[str, Any]) -> str:
    """What the time after the profile did, and whether an example database helped (empty
    for a run with neither), said in every format."""
    parts = []
    search = report.get("search")
    if search is not None:
        n = search["rounds"]
        parts.append(
            f"searched on: {n} further round{'s' if n != 1 else ''}, {search['extra_cases']} "
            f"more cases (--rounds {n} makes them again)"
        )
    if report.get("database"):
        parts.append("database-assisted: each search tried the failures saved there first")
    return "; ".join(parts)


def failure_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows a report opens with: every failed or errored requirement."""
    return [r for r in report["requirements"] if r["outcome"] in ("failed", "errored")]


def no_failures_line(report: dict[str, Any]) -> str:
    """The one line a report without failures opens with."""
    c = report["counts"]
    text = f"No failures: {c['passed']} requirement{'s' if c['passed'] != 1 else ''} passed"
    return text + (f", {c['skipped']} skipped." if c["skipped"] else ".")


def concurrency_line(report: dict[str, Any]) -> str:
    """What the concurrency level's verdict rests on, in one line ("" when it was not
    asked for): its findings are probabilistic, and a level not judged says why."""
    if "concurrency" not in report.get("levels", {}):
        return ""
    rows = [r for r in report["requirements"] if r["level"] == "concurrency"]
    if report["levels"]["concurrency"] == "skipped":
        why = next((r.get("message", "") for r in rows if r.get("message")), "not run")
        return f"Concurrency: not judged ({why})."
    budget: dict[str, Any] = next(
        (r["concurrency"] for r in rows if isinstance(r.get("concurrency"), dict)), {}
    )
    return (
        f"Concurrency: findings are probabilistic: {budget.get('programs', '?')} programs per "
        f"requirement, each tried {budget.get('tries', '?')} times; a failure is a race that "
        "showed (its row says in how many tries), a pass is evidence, not proof, that none "
        "exists."
    )


def coverage_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows that carry coverage (a requirement that was searched)."""
    return [r for r in report["requirements"] if isinstance(r.get("coverage"), dict)]


def coverage_counts(coverage: dict[str, Any]) -> tuple[int, int]:
    """How many of its own variants a requirement's cases exercised, and how many it has."""
    never = len(coverage.get("never", []))
    total = max(int(coverage.get("variants", 0)), never)
    return total - never, total


def exercised_text(coverage: dict[str, Any]) -> str:
    """``name ×count`` for each exercised variant, own variants first."""
    return ", ".join(f"{name} ×{n}" for name, n in coverage.get("exercised", {}).items())


def _md_failures(failures: list[dict[str, Any]]) -> list[str]:
    """The failures a report opens with: each counterexample, the expected and the actual
    answer, and the command that reproduces it."""
    lines = ["", "## Failures", ""]
    for r in failures:
        lines += [
            f"### {_md_code(r['id'])} — {r['outcome']}" + (" (flaky)" if r.get("flaky") else ""),
            "",
            f"- message: {_md_cell(r.get('message', ''), 400)}",
            *_md_counterexample(r.get("counterexample")),
        ]
        if r["outcome"] == "failed":
            lines += [
                f"- answer: {_md_code(r.get('answer'))}",
                f"- expected: {_md_code(r.get('expected'))}",
            ]
        if len(r.get("failures") or []) > 1:
            lines += ["", f"{len(r['failures'])} kinds of failure:", ""]
            lines += _md_kinds(r["failures"])
            lines += [""]
        lines += [f"- reproduce (this case): {_md_command(r.get('reproduce', ''))}"]
        if r.get("rerun"):
            lines += [f"- rerun (the whole search): {_md_command(r['rerun'])}"]
        if r.get("replay"):
            lines += [f"- replay (every saved case): {_md_command(r['replay'])}"]
        lines += [""]
    return lines


def _md_kinds(failures: list[dict[str, Any]]) -> list[str]:
    """A requirement's failure kinds: a table of records, or for lifecycle programs each
    kind's message, whole program and answer."""
    if all(is_program(f.get("counterexample")) for f in failures):
        lines = []
        for f in failures:
            lines += [
                f"- {_md_code(f['kind'], 80)} (case {_md_code(f.get('case_id', ''), 40)}): "
                f"{_md_cell(f.get('message', ''), 400)}",
                "",
                *_md_block(program_lines(f["counterexample"]), "  "),
                "",
                f"  answer: {_md_code(f.get('answer'), 600)}",
                "",
            ]
        return lines
    return [
        "| kind | case_id | counterexample | answer |",
        "| --- | --- | --- | --- |",
        *(
            f"| {_md_cell(f['kind'], 80)} | `{_md_cell(f.get('case_id', ''), 40)}` "
            f"| {_md_code(f.get('counterexample'), 300)} "
            f"| {_md_code(f.get('answer'), 200)} |"
            for f in failures
        ),
    ]


def _md_coverage(report: dict[str, Any]) -> list[str]:
    """The coverage table: per requirement, its variants exercised (how often) and never."""
    rows = coverage_rows(report)
    if not rows:
        return []
    lines = [
        "",
        "## Coverage",
        "",
        "| requirement | variants | exercised (cases) | never exercised |",
        "| --- | --- | --- | --- |",
    ]
    for r in rows:
        cov = r["coverage"]
        done, total = coverage_counts(cov)
        never = ", ".join(cov.get("never", [])) or "—"
        lines.append(
            f"| {_md_code(r['id'])} | {f'{done} of {total}' if total else '—'} "
            f"| {_md_cell(exercised_text(cov), 600)} | {_md_cell(never, 400)} |"
        )
    return lines


def to_markdown(report: dict[str, Any]) -> str:
    impl = report["implementation"]
    lines = [
        f"# Conformance report: {_md_cell(impl.get('name', '?'))}",
        "",
        f"**Verdict: {_text(report)}**"
        + f" — role {report['role']}, profile {report['profile']}, seed {report['seed']}, "
        f"kit {report['kit']['version']}",
    ]
    failures = failure_rows(report)
    lines += _md_hints(report)
    if failures:
        lines += _md_failures(failures)
    else:
        lines += ["", no_failures_line(report), *_md_coverage(report)]
    lines += [
        "",
        f"Levels covered: {', '.join(report.get('levels_covered', []))}.",
        *(["", _md_cell(line, 600)] if (line := concurrency_line(report)) else []),
        "",
        "| level | outcome |",
        "| --- | --- |",
        *(f"| {lvl} | {out} |" for lvl, out in report["levels"].items()),
        "",
        "| requirement | level | keyword | outcome | cases | statement |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for r in report["requirements"]:
        lines.append(
            f"| {_md_code(r['id'])} | {r['level']} | {r['keyword']} | {r['outcome']} "
            f"| {r['examples']} "
            f"| {_md_cell(r['statement'] + declared_note(r))} |"
        )
    lines += ["", f"_{cases_note(report)}_"]
    if search_note(report):
        lines += ["", f"_{search_note(report)}_"]
    if failures:
        lines += _md_coverage(report)
    if report.get("compare"):
        lines += _md_compare(report["compare"])
    if report.get("baseline"):
        section = report["baseline"]
        lines += ["", "## Baseline (known failures)", "", _md_cell(baseline_heading(section), 400)]
        lines += [""] + [
            f"- {kind}: {_md_code(key, 300)}" + (f" — {_md_cell(say, 400)}" if say else "")
            for kind, key, say in baseline_items(section)
        ]
    if report.get("exceptions"):
        lines += ["", "## Declared exceptions (not claimed)", ""]
        lines += [f"- `{e['id']}`: {_md_cell(e['reason'], 400)}" for e in report["exceptions"]]
    if report.get("unreachable"):
        lines += ["", "## Not requirements here (no value breaks them alone)", ""]
        lines += [
            f"- {_md_code(e['id'])}: {_md_cell(e['reason'], 400)}" for e in report["unreachable"]
        ]
    if report["warnings"]:
        lines += ["", "## Warnings", "", *(f"- {_md_cell(w, 400)}" for w in report["warnings"])]
    if schema_note(report):
        lines += ["", _md_cell(schema_note(report), 2000)]
    lines += [
        "",
        f"Schema sha256 `{report['schema']['sha256']}`, lifecycle model sha256 "
        f"`{report['lifecycle_model']['sha256']}`, fingerprint `{report.get('fingerprint', '')}`.",
        "",
    ]
    return "\n".join(lines)


def schema_note(report: dict[str, Any]) -> str:
    """One line on how the schema was read, when not plainly as draft 2020-12: its draft,
    and the keywords left unjudged (empty for the run schema)."""
    schema = report["schema"]
    parts = []
    if schema.get("draft"):
        parts.append(f"Schema read as draft {schema['draft']}.")
    ignored = schema.get("ignored_keywords") or {}
    if ignored:
        named = ", ".join(f"{k} ({n})" for k, n in ignored.items())
        parts.append(f"Not judged (keywords the draft does not define, or ignores): {named}.")
    return " ".join(parts)


def _md_failure_lines(row: dict[str, Any], whose: str = "") -> list[str]:
    """One failure in a short summary: the requirement, its message, the counterexample
    (clipped) and the command that reruns it."""
    lines = [
        f"- {_md_code(row['id'])}{whose} ({row['keyword']}) {row['outcome']}: "
        + _md_cell(row.get("message", ""), 300),
        f"  - counterexample: {_md_code(row.get('counterexample'), 300)}",
    ]
    if row.get("reproduce"):
        lines.append(f"  - reproduce: {_md_code(row['reproduce'], 1000)}")
    return lines


def to_step_summary(report: dict[str, Any]) -> str:
    """A short Markdown summary for a CI job's page (GitHub's ``GITHUB_STEP_SUMMARY``): the
    verdict line, the levels, and each failure with its counterexample and ``reproduce:``
    command.  Against a baseline it reads as the exit status does: the failures are the new
    and fixed ones, the known ones are listed apart.  report.md has the rest."""
    impl = report["implementation"]
    c = report["counts"]
    lines = [
        f"### inngest-conformance: {_md_cell(impl.get('name', '?'), 200)}",
        "",
        f"**Verdict: {_md_cell(_text(report), 300)}** ({c['passed']} passed, {c['failed']} "
        f"failed, {c['errored']} errored, {c['skipped']} skipped; role {report['role']}, "
        f"profile {report['profile']}, seed {report['seed']})",
        "",
        "Levels: " + ", ".join(f"{lvl} {out}" for lvl, out in report["levels"].items()) + ".",
    ]
    judged = deciding_baseline(report)
    if judged:
        lines += ["", _md_cell(baseline_heading(judged), 400) + "."]
    section = report.get("compare")
    rows: list[tuple[str, dict[str, Any], str]] = []  # (key, row, whose)
    if isinstance(section, dict):
        lines += [""]
        for entry in section["implementations"]:
            t = section["totals"][entry["column"]]
            lines.append(
                f"- {_md_cell(entry['column'], 120)}: {entry['verdict']} ({t['passed']} passed, "
                f"{t['failed']} failed, {t['errored']} errored)"
            )
        rows = [
            (f"{row['id']}@{entry['column']}", row, f" [{_md_cell(entry['column'], 120)}]")
            for entry in section["implementations"]
            for row in entry.get("failures", [])
        ]
    else:
        rows = [
            (row["id"], row, "")
            for row in report["requirements"]
            if row["outcome"] in ("failed", "errored")
        ]
    if not judged:
        failures = [line for _, row, whose in rows for line in _md_failure_lines(row, whose)]
        if failures:
            lines += ["", "Failures:", "", *failures]
        return "\n".join(lines) + "\n\n"
    parts: dict[str, list[str]] = {"failing": [], "known": [], "warning": []}
    for key, row, whose in rows:
        where = standing(judged, key)
        if where == "known":
            say = f"{KNOWN}: {_md_cell(baseline_say(judged, 'known', key), 300)}"
            parts["known"].append(f"- {_md_code(row['id'])}{whose} ({row['keyword']}) {say}")
            continue
        shown = _md_failure_lines(row, whose)
        if where is not None:
            shown.insert(1, f"  - baseline: {_md_cell(baseline_say(judged, where, key), 300)}")
        parts["failing" if where is not None else "warning"] += shown
    listed = {key for key, _, _ in rows}
    parts["failing"] += [
        f"- {_md_code(key, 300)} {FIXED}" for key in judged["fixed"] if key not in listed
    ]
    for title, name in (
        ("Failures (they fail the run):", "failing"),
        ("Known failures (baseline):", "known"),
        ("Warnings (they do not fail the run):", "warning"),
    ):
        if parts[name]:
            lines += ["", title, "", *parts[name]]
    return "\n".join(lines) + "\n\n"


def _md_command(command: str) -> str:
    """A command as Markdown code, whole: a command is only useful whole, and shlex quoting
    already keeps it on one line (a newline or control character inside a quoted word is
    escaped, so it cannot start a heading).  A backtick inside takes a longer fence."""
    command = visible(command, limit=len(command) * 12 + 1)
    fence = "`" * (max((len(m) for m in re.findall("`+", command)), default=0) + 1)
    pad = " " if command.startswith("`") or command.endswith("`") else ""
    return f"{fence}{pad}{command}{pad}{fence}"


def _h(value: Any, **kwargs: Any) -> str:
    return html.escape(visible(value, **kwargs), quote=True)


_CSS = """
body{font:15px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;
max-width:72rem;padding:0 1rem;color:#1a1a1a}
h1{font-size:1.5rem;margin-bottom:.2rem}.meta{color:#555;font-size:.9rem}
.verdict{display:inline-block;padding:.35rem .8rem;border-radius:.3rem;color:#fff;
font-weight:700;font-size:1.2rem;margin:.6rem 0}
.levels{display:flex;gap:.6rem;margin:.4rem 0 1.2rem}.level{padding:.3rem .7rem;
border-radius:.3rem;color:#fff}
table{border-collapse:collapse;width:100%;margin:1rem 0}th,td{border-bottom:1px solid #ddd;
padding:.3rem .5rem;text-align:left;vertical-align:top}th{background:#f4f4f4}
.outcome{font-weight:700}code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;
font-size:.85rem}td code,code.id{white-space:nowrap}
.counts{font-size:1.05rem;margin:.2rem 0}
.hints{background:#fff8e1;border-left:4px solid #f9a825;padding:.5rem .5rem .5rem 1.6rem;
margin:.6rem 0}.evidence .program{grid-column:1/-1}.kind h4{margin:.8rem 0 .2rem}
pre{background:#f7f7f7;padding:.6rem;overflow:auto;max-height:24rem;
white-space:pre-wrap;overflow-wrap:anywhere;margin:.2rem 0}
.evidence{display:grid;grid-template-columns:repeat(3,1fr);gap:.8rem}
.failure{border-left:4px solid #c62828;padding-left:.8rem;margin:1.2rem 0}
.failure.errored{border-color:#ef6c00}
.bar{display:inline-block;width:8rem;height:.7rem;background:#f0c8c8;border-radius:.2rem;
overflow:hidden;vertical-align:middle;margin-right:.4rem}.bar span{display:block;height:100%;
background:#2e7d32}.small{font-size:.8rem;color:#444}
"""


def _html_program(program: list[dict[str, Any]]) -> str:
    """A lifecycle program whole, one operation a line."""
    return f"<pre>{html.escape(chr(10).join(program_lines(program)), quote=True)}</pre>"


def _html_kinds(failures: list[dict[str, Any]]) -> str:
    """A requirement's failure kinds: a table of records, or for lifecycle programs each
    kind's message, whole program and answer."""
    if len(failures) < 2:
        return ""
    head = f"<p>{len(failures)} kinds of failure:</p>"
    if all(is_program(f.get("counterexample")) for f in failures):
        return head + "".join(
            f'<div class="kind"><h4><code class="id">{_h(f["kind"])}</code> '
            f'<span class="small">case <code class="id">{_h(f.get("case_id", ""))}</code>'
            f"</span></h4><p>{_h(f.get('message', ''))}</p>"
            f"{_html_program(f['counterexample'])}"
            f'<p class="small">answer</p><pre>{_h(f.get("answer"), limit=500)}</pre></div>'
            for f in failures
        )
    return (
        head + "<table><thead><tr><th>kind</th>"
        "<th>case_id</th><th>counterexample</th><th>answer</th></tr></thead><tbody>"
        + "".join(
            f"<tr><td>{_h(f['kind'])}</td><td><code>{_h(f.get('case_id', ''))}</code></td>"
            f"<td><pre>{_h(f.get('counterexample'))}</pre>"
            f"</td><td><pre>{_h(f.get('answer'), limit=500)}</pre></td></tr>"
            for f in failures
        )
        + "</tbody></table>"
    )


def _html_coverage(report: dict[str, Any]) -> str:
    """The coverage table, each requirement's share of its variants exercised as a bar."""
    rows = coverage_rows(report)
    if not rows:
        return ""
    body = []
    for r in rows:
        cov = r["coverage"]
        done, total = coverage_counts(cov)
        share = (
            f'<span class="bar" role="img" aria-label="{done} of {total}">'
            f'<span style="width:{100 * done // total}%"></span></span>{done} of {total}'
            if total
            else "—"
        )
        never = ", ".join(cov.get("never", [])) or "—"
        body.append(
            f"<tr><td><code>{_h(r['id'])}</code></td><td>{share}</td>"
            f'<td class="small">{_h(exercised_text(cov), limit=600)}</td>'
            f'<td class="small">{_h(never, limit=600)}</td></tr>'
        )
    return (
        "<h2>Coverage</h2><table><thead><tr><th>requirement</th><th>variants exercised</th>"
        "<th>exercised (cases)</th><th>never exercised</th></tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def _chart(report: dict[str, Any]) -> str:
    rows = report["requirements"]
    if not rows:
        return ""
    width, bar_h, label_w = 720, 16, 330
    most = max((r["examples"] for r in rows), default=1) or 1
    height = len(rows) * (bar_h + 4) + 24
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'aria-label="cases per requirement, by outcome">'
    ]
    for i, r in enumerate(rows):
        y = i * (bar_h + 4)
        w = max(2, int((width - label_w - 60) * r["examples"] / most))
        colour = OUTCOME_COLOURS.get(r["outcome"], "#757575")
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 12}" font-size="11" text-anchor="end">'
            f"{_h(r['id'], limit=60)}</text>"
            f'<rect x="{label_w}" y="{y}" width="{w}" height="{bar_h}" fill="{colour}">'
            f"<title>{_h(r['outcome'])}: {r['examples']} cases</title></rect>"
            f'<text x="{label_w + w + 4}" y="{y + 12}" font-size="11">{r["examples"]}</text>'
        )
    legend_y = len(rows) * (bar_h + 4) + 14
    x = label_w
    for outcome, colour in OUTCOME_COLOURS.items():
        parts.append(
            f'<rect x="{x}" y="{legend_y - 9}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{x + 14}" y="{legend_y}" font-size="11">{outcome}</text>'
        )
        x += 80
    parts.append("</svg>")
    return "".join(parts)


def _counts_html(c: dict[str, Any]) -> str:
    """The four counts, each in its outcome's colour."""
    return ", ".join(
        f'<strong style="color:{OUTCOME_COLOURS[o]}">{int(c[o])}</strong> {o}'
        for o in ("passed", "failed", "errored", "skipped")
    )


def to_html(report: dict[str, Any]) -> str:
    """One self-contained page: no script, no network, every value escaped."""
    impl = report["implementation"]
    verdict = report["verdict"]
    note = concurrency_line(report)
    levels = "".join(
        f'<span class="level" style="background:{OUTCOME_COLOURS.get(out, "#757575")}">'
        f"{_h(level)}: {_h(out)}</span>"
        for level, out in report["levels"].items()
    )
    rows = "".join(
        f"<tr><td><code>{_h(r['id'])}</code></td><td>{_h(r['level'])}</td>"
        f"<td>{_h(r['keyword'])}</td>"
        f'<td class="outcome" style="color:{OUTCOME_COLOURS.get(r["outcome"], "#757575")}">'
        f"{_h(r['outcome'])}{' (flaky)' if r.get('flaky') else ''}</td>"
        f"<td>{r['examples']}</td><td>{_h(r['statement'] + declared_note(r))}</td></tr>"
        for r in report["requirements"]
    )
    failures = []
    for r in failure_rows(report):
        evidence = [("counterexample", r.get("counterexample"))]
        if r["outcome"] == "failed":
            evidence += [("expected", r.get("expected")), ("answer", r.get("answer"))]
        else:
            evidence += [("detail", r.get("detail", ""))]
        cells = "".join(
            f'<div class="program"><strong>{name}</strong>{_html_program(value)}</div>'
            if is_program(value)
            else f"<div><strong>{name}</strong><pre>{_h(value, indent=2)}</pre></div>"
            for name, value in evidence
        )
        kinds = _html_kinds(r.get("failures") or [])
        failures.append(
            f'<section class="failure {r["outcome"]}" id="{_h(r["id"])}">'
            f'<h3><code class="id">{_h(r["id"])}</code> — {_h(r["outcome"])}</h3>'
            f"<p>{_h(r.get('message', ''))}</p>"
            f'<div class="evidence">{cells}</div>{kinds}'
            f"<p>Reproduce (this case): <code>{_h(r.get('reproduce', ''))}</code>"
            + (
                f"<br>Rerun (the whole search): <code>{_h(r['rerun'])}</code>"
                if r.get("rerun")
                else ""
            )
            + (
                f"<br>Replay (every saved case): <code>{_h(r['replay'])}</code>"
                if r.get("replay")
                else ""
            )
            + "</p></section>"
        )
    warnings = "".join(f"<li>{_h(w)}</li>" for w in report.get("warnings", []))
    exceptions = "".join(
        f"<li><code>{_h(e['id'])}</code>: {_h(e['reason'])}</li>"
        for e in report.get("exceptions", [])
    )
    unreachable = "".join(
        f"<li><code>{_h(e['id'])}</code>: {_h(e['reason'])}</li>"
        for e in report.get("unreachable", [])
    )
    baseline = ""
    if report.get("baseline"):
        section = report["baseline"]
        baseline = (
            f'<h2>Baseline (known failures)</h2><p id="baseline">'
            f"{_h(baseline_heading(section), limit=400)}</p><ul>"
            + "".join(
                f"<li>{_h(kind)}: <code>{_h(key)}</code>"
                + (f" — {_h(say, limit=400)}" if say else "")
                + "</li>"
                for kind, key, say in baseline_items(section)
            )
            + "</ul>"
        )
    c = report["counts"]
    title = f"Conformance report: {impl.get('name', '?')}"
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{_h(title, limit=120)}</title><style>{_CSS}</style></head><body>"
        f"<h1>{_h(title, limit=200)}</h1>"
        f'<p class="meta">role {_h(report["role"])} · profile {_h(report["profile"])} · seed '
        f"{_h(report['seed'])} · kit {_h(report['kit']['version'])} · started "
        f"{_h(report['started_at'])} · {report['duration_s']} s</p>"
        f'<div class="verdict" id="verdict" style="background:{VERDICT_COLOURS.get(verdict)}">'
        f"{_h(_text(report))}</div>"
        f'<p id="counts" class="counts">{_counts_html(c)}. Levels covered: '
        f"{_h(', '.join(report.get('levels_covered', [])))}.</p>"
        + (f'<p id="concurrency">{_h(note, limit=600)}</p>' if note else "")
        + f'<div class="levels">{levels}</div>'
        + (
            '<ul id="hints" class="hints">'
            + "".join(f"<li>{_h(t, limit=800)}</li>" for t in hint_texts(report))
            + "</ul>"
            if hint_texts(report)
            else ""
        )
        + (
            f"<h2>Failures</h2>{''.join(failures)}"
            if failures
            else f'<p id="no-failures">{_h(no_failures_line(report))}</p>{_html_coverage(report)}'
        )
        + "<h2>Requirements</h2><table><thead><tr><th>requirement</th><th>level</th>"
        "<th>keyword</th><th>outcome</th><th>cases</th><th>statement</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
        f'<p class="meta">{_h(cases_note(report))}</p>'
        + (f'<p class="meta">{_h(search_note(report))}</p>' if search_note(report) else "")
        + f"<h2>Cases per requirement</h2>{_chart(report)}"
        + (_html_coverage(report) if failures else "")
        + (_html_compare(report["compare"]) if report.get("compare") else "")
        + baseline
        + (f"<h2>Declared exceptions (not claimed)</h2><ul>{exceptions}</ul>" if exceptions else "")
        + (
            f'<h2>Not requirements here (no value breaks them alone)</h2><ul id="unreachable">'
            f"{unreachable}</ul>"
            if unreachable
            else ""
        )
        + (f"<h2>Warnings</h2><ul>{warnings}</ul>" if warnings else "")
        + (f'<p class="meta">{_h(schema_note(report))}</p>' if schema_note(report) else "")
        + f'<p class="meta">schema sha256 <code>{_h(report["schema"]["sha256"])}</code> · '
        f"lifecycle model sha256 <code>{_h(report['lifecycle_model']['sha256'])}</code> · "
        f"fingerprint <code>{_h(report.get('fingerprint', ''))}</code></p>"
        "</body></html>\n"
    )


def _html_compare(section: dict[str, Any]) -> str:
    names = [i["column"] for i in section["implementations"]]
    head = "".join(f"<th>{_h(n)}</th>" for n in names)
    body = "".join(
        f"<tr><td><code>{_h(row['id'])}</code></td>"
        + "".join(
            f'<td class="outcome" style="color:{OUTCOME_COLOURS.get(row["outcomes"][n])}">'
            f"{_h(row['outcomes'][n])}</td>"
            for n in names
        )
        + "</tr>"
        for row in section["matrix"]
    )
    totals = section["totals"]
    body += (
        "<tr><th>totals (passed/failed/errored)</th>"
        + "".join(
            f"<th>{totals[n]['passed']}/{totals[n]['failed']}/{totals[n]['errored']}</th>"
            for n in names
        )
        + "</tr>"
    )
    rows = []
    for d in section["disagreements"]:
        answers = "".join(
            f"<li>{_h(n)}: <code>{_h(_answer_text(t), limit=500)}</code></li>"
            for n, t in d["answers"].items()
        )
        rows.append(
            f'<section class="failure"><h3><code>{_h(d["requirement"])}</code></h3>'
            f"<pre>{_h(d['case'], indent=2)}</pre><ul>{answers}</ul></section>"
        )
    own = "".join(
        f"<li><code>{_h(f['id'])}</code> [{_h(column)}]: {_h(f['outcome'])}<br>"
        f"Reproduce (this case): <code>{_h(f.get('reproduce', ''))}</code>"
        + (f"<br>Rerun (the whole search): <code>{_h(f['rerun'])}</code>" if f.get("rerun") else "")
        + "</li>"
        for column, f in _own_failures(section)
    )
    return (
        "<h2>Comparison</h2><table><thead><tr><th>requirement</th>"
        f"{head}</tr></thead><tbody>{body}</tbody></table>"
        + (f"<h3>Disagreements (shrunk)</h3>{''.join(rows)}" if rows else "")
        + (f"<h3>Each implementation's failures</h3><ul>{own}</ul>" if own else "")
    )


def to_badge(report: dict[str, Any]) -> str:
    """A flat SVG badge: the verdict and the levels that passed."""
    verdict = report["verdict"]
    passed = [lvl for lvl, out in report["levels"].items() if out == "passed"]
    right = verdict + (f" ({', '.join(passed)})" if passed and verdict == "conformant" else "")
    n = len(report.get("exceptions", []))
    if n:
        right += f", {n} exception{'s' if n != 1 else ''}"
    left = "inngest-conformance"
    lw, rw = 7 * len(left) + 12, int(6.5 * len(right)) + 14
    colour = VERDICT_COLOURS.get(verdict, "#757575")
    text = html.escape
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{lw + rw}" height="20" role="img" '
        f'aria-label="{text(left)}: {text(right)}"><title>{text(left)}: {text(right)}</title>'
        f'<rect width="{lw}" height="20" fill="#555"/>'
        f'<rect x="{lw}" width="{rw}" height="20" fill="{colour}"/>'
        '<g fill="#fff" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11">'
        f'<text x="6" y="14">{text(left)}</text><text x="{lw + 7}" y="14">{text(right)}</text>'
        "</g></svg>\n"
    )
