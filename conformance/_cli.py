"""The ``inngest-conformance`` command: a thin door onto the library.

Exit status: 0 conformant / valid, 1 non-conformant / invalid, 2 a usage error or the kit
could not do its job.  Every error the user can cause is one line on stderr, never a
traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import textwrap
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn, TextIO, TypeVar

from inngest_conformance._adapters import AdapterSpec
from inngest_conformance._adapters.base import Adapter, ImplementationError
from inngest_conformance._adapters.wire import (
    DEFAULT_MAX_ANSWER_BYTES,
    megabytes,
    timeout_seconds,
)
from inngest_conformance._baseline import Baseline, exit_status, rewritten, update_line, write
from inngest_conformance._budget import Budget
from inngest_conformance._case_log import check_log_path
from inngest_conformance._encode import clip
from inngest_conformance._engine import PROFILES, InterruptGuard, Result, interrupts
from inngest_conformance._junit import check_junit_path, write_junit
from inngest_conformance._output_files import FORMATS, append_step_summary, write_fixtures
from inngest_conformance._planning import (
    absolute_or_profile,
    choose_role,
    context,
    describe,
    invocation,
    plan,
    read_reasons,
)
from inngest_conformance._render import (
    FIXED,
    FIXED_KINDS,
    baseline_lines,
    cases_note,
    counterexample_text,
    declared_note,
    failure_kinds,
    fixed_kinds,
    hint_texts,
    search_note,
    visible,
)
from inngest_conformance._replay import replay_report
from inngest_conformance._requirements import Context, Requirement, catalogue
from inngest_conformance._run import certify_adapter, compare_adapters, mark_interrupted
from inngest_conformance._variants import variant_names
from inngest_conformance._version import __version__
from inngest_conformance._vocabulary import LEVELS, ROLE_LEVELS
from inngest_conformance.errors import ConformanceError, UsageError
from inngest_conformance.report import checked_report, with_report_path, write_reports
from inngest_conformance.strategies import DRAFTS, Oracle
from inngest_conformance.strategies._files import read_text
from inngest_conformance.strategies._formats import OPENAPI_FORMAT

PROG = "inngest-conformance"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


class _Once(argparse.Action):
    """An option that may be given once: a second ``--target`` is refused, never taken
    silently for the first (a command naming several implementations is ``compare``)."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        if getattr(namespace, self.dest) is not None:
            parser.error(
                f"{option_string} given twice ({getattr(namespace, self.dest)!r}, {values!r}): "
                "name exactly one implementation (to run several, use compare)"
            )
        setattr(namespace, self.dest, values)


def _implementation_options(p: argparse.ArgumentParser, what: str = "exactly one") -> None:
    g = p.add_argument_group(f"implementation ({what})")
    g.add_argument(
        "--target", action=_Once, metavar="MOD:OBJ", help="a Python object, called in-process"
    )
    g.add_argument(
        "--command", action=_Once, metavar="CMD", help="a program speaking the wire protocol"
    )
    g.add_argument(
        "--url", action=_Once, metavar="URL", help="a service answering the wire protocol"
    )
    _rejects_with_option(p)
    _answer_limit_options(p)


def _answer_limit_options(p: argparse.ArgumentParser) -> None:
    """How long and how large one answer of a program or service may be."""
    p.add_argument(
        "--timeout",
        type=_seconds,
        default=5.0,
        metavar="S",
        help="seconds to wait for one whole answer (default 5)",
    )
    p.add_argument(
        "--startup-timeout",
        type=_startup_timeout,
        default=10.0,
        metavar="S",
        help="seconds to wait for a program's first answer (default 10)",
    )
    p.add_argument(
        "--max-answer-mb",
        type=_megabytes,
        default=DEFAULT_MAX_ANSWER_BYTES,
        metavar="MB",
        help="the largest answer a program or service may give (default 16 MiB); a longer "
        "one is a protocol error",
    )


T = TypeVar("T")


def _argument_type(parse: Callable[..., T], **options: Any) -> Callable[[str], T]:
    """An argparse ``type`` from one of the wire module's parsers (``timeout_seconds``,
    ``megabytes``): its one-line usage error becomes argparse's, which names the option."""

    def convert(text: str) -> T:
        try:
            return parse(text, "VALUE", **options)
        except UsageError as exc:
            raise argparse.ArgumentTypeError(str(exc).removeprefix("VALUE ")) from None

    return convert


#: ``--timeout``, ``--record-timeout``: seconds above 0, at most a day (not NaN, not inf).
_seconds = _argument_type(timeout_seconds)
#: ``--startup-timeout``: seconds, 0 or more.
_startup_timeout = _argument_type(timeout_seconds, zero=True)
#: ``--max-line-mb``, ``--max-answer-mb``: a size in MiB above 0 (``0.5`` is fine), as bytes.
_megabytes = _argument_type(megabytes)


def _jobs(text: str) -> int:
    """``--jobs``: a count of worker processes, 1 or more."""
    try:
        jobs = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if jobs < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {jobs}")
    return jobs


def _rejects_with_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--rejects-with",
        action="append",
        default=[],
        metavar="MOD:CLASS",
        help="an exception class a Python --target raises to refuse, besides ValueError "
        "(repeatable)",
    )


def _log_cases_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--log-cases",
        metavar="FILE.jsonl",
        help="write every case sent, passing ones included, one JSON object a line: "
        "requirement, case_id, phase, case, answer, ok, message, expected",
    )


def _search_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("searching on after the profile")
    budget = g.add_mutually_exclusive_group()
    budget.add_argument(
        "--max-time",
        metavar="DURATION",
        help="after the profile run, search on in further rounds until this much time is "
        "spent (90s, 5m, 1h or seconds); the report records the rounds each requirement had",
    )
    budget.add_argument(
        "--rounds",
        metavar="N",
        help="after the profile run, exactly N further rounds (reproduces a --max-time run)",
    )
    g.add_argument(
        "--database",
        metavar="DIR",
        help="keep the failures found in DIR and try them first in the next run "
        "(the report says the run was database-assisted)",
    )


def read_budget(args: argparse.Namespace) -> Budget | None:
    """``--max-time``/``--rounds`` checked: a bad value is a usage error."""
    return Budget.of(args.max_time, args.rounds)


def _schema_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--schema", metavar="PATH", help="a run schema (default: the packaged one)")
    _draft_option(p)
    p.add_argument("--lifecycle", metavar="PATH", help="a lifecycle table, JSON or TOML")


def _draft_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--draft",
        choices=DRAFTS,
        help="the JSON Schema draft of a --schema without $schema (default 2020-12)",
    )


def _junit_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--junit",
        metavar="FILE",
        help="also write the results as JUnit XML, for CI (one testsuite per implementation)",
    )


def _scope_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("what the verdict covers")
    g.add_argument(
        "--levels",
        metavar="LIST",
        help="comma-separated levels the verdict covers (default: all of the role's); "
        "lifecycle,concurrency also races an in-process store's clients (probabilistic)",
    )
    g.add_argument(
        "--skip",
        action="append",
        default=[],
        metavar="ID",
        help="a requirement the implementation does not claim; pair each with --reason",
    )
    g.add_argument("--reason", action="append", default=[], metavar="TEXT")
    g.add_argument(
        "--skip-file",
        metavar="PATH",
        help="declared exceptions: lines 'ID reason' (# comments), or a JSON object id->reason",
    )


def _baseline_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("known failures")
    g.add_argument(
        "--baseline",
        metavar="FILE",
        help="known failures: a report.json, or lines 'ID reason' / a JSON object id->reason "
        "(ID@COLUMN for one implementation in compare); they still run, a fixed one fails the run",
    )
    g.add_argument(
        "--update-baseline",
        action="store_true",
        help="rewrite --baseline FILE with this run's failures and their kinds (a JSON "
        "object id->{reason, kinds}) and exit 0",
    )


def read_baseline(args: argparse.Namespace) -> Baseline | None:
    """``--baseline FILE`` (a missing FILE is an empty baseline with ``--update-baseline``)."""
    if args.baseline is None:
        if args.update_baseline:
            raise UsageError("--update-baseline needs --baseline FILE: the file to write")
        return None
    baseline = Baseline.read(args.baseline, missing_ok=args.update_baseline)
    if args.update_baseline and baseline.from_report:
        raise UsageError(
            f"--update-baseline would overwrite the report {args.baseline}: name the baseline "
            "file to write instead (a missing one is written from this run's failures)"
        )
    return baseline


def _baseline_summary(report: dict[str, Any], out: TextIO, quiet: bool) -> None:
    """The baseline's own short list, after the verdict; quiet keeps what fails the run.
    A baseline this run rewrites says what it wrote instead, once written."""
    section = report.get("baseline")
    if section is None or section.get("updated"):
        return
    out.writelines(f"{line}\n" for line in baseline_lines(section, quiet=quiet))


def _rewrite_baseline(
    args: argparse.Namespace,
    ctx: Context,
    report: dict[str, Any],
    baseline: Baseline | None,
    code: int,
) -> tuple[dict[str, Any], Baseline | None]:
    """With ``--update-baseline``, for a run that judged something and was not interrupted:
    the report judged against the baseline it writes, and that baseline (else ``report``
    as it is, and ``None``)."""
    if not args.update_baseline or baseline is None or code not in (0, 1):
        return report, None
    if report.get("interrupted"):
        return report, None
    section = report.get("compare")
    columns = [i["column"] for i in section["implementations"]] if isinstance(section, dict) else []
    return rewritten(report, baseline.checked(ctx, report["role"], columns))


def _write_baseline(before: Baseline, after: Baseline) -> None:
    """Write the rewritten baseline and say what it holds and what changed."""
    try:
        write(after.file, after.entries)
    except OSError as exc:
        raise UsageError(f"cannot write --baseline {after.file}: {exc.strerror or exc}") from None
    sys.stdout.write(update_line(after.file, before.entries, after.entries) + "\n")


def _finish_baseline(report: dict[str, Any], baseline: Baseline | None, code: int) -> int:
    """After the reports: say on stderr what fails the run against its baseline, after one
    notice line for a baseline that names requirements without their kinds of failure
    (unless this run rewrote it)."""
    section = report.get("baseline")
    if baseline is None or section is None or code not in (0, 1):
        return code
    if baseline.notice and not section.get("updated"):
        sys.stderr.write(f"{PROG}: {baseline.notice}\n")
    kinds = section.get("kinds", {})
    whole = [key for key in section["fixed"] if not fixed_kinds(section, key)]
    partly = [
        f"{key} ({', '.join(fixed_kinds(section, key))})"
        for key in section["fixed"]
        if fixed_kinds(section, key)
    ]
    if whole:
        sys.stderr.write(f"{PROG}: {FIXED}: {', '.join(whole)}\n")
    if partly:
        sys.stderr.write(f"{PROG}: {FIXED_KINDS}: {', '.join(partly)}\n")
    if section["new"]:
        # A baselined requirement's new kinds are named: its entry holds the others.
        new = ", ".join(
            key
            + (
                f" ({', '.join(kinds[key]['new'])})"
                if kinds.get(key, {}).get("known") or kinds.get(key, {}).get("fixed")
                else ""
            )
            for key in section["new"]
        )
        sys.stderr.write(f"{PROG}: new failures, not in the baseline: {new}\n")
    return code


def scope(args: argparse.Namespace) -> tuple[list[str] | None, dict[str, str]]:
    """``--levels`` and the declared exceptions of ``--skip``/``--reason``/``--skip-file``."""
    levels = _levels(args)
    if len(args.skip) != len(args.reason):
        raise UsageError(
            f"each --skip needs its --reason ({len(args.skip)} --skip, {len(args.reason)} "
            "--reason): say why the implementation does not claim it"
        )
    exceptions: dict[str, str] = {}
    if args.skip_file is not None:
        exceptions.update(read_reasons(args.skip_file, "--skip-file"))
    for rid, reason in zip(args.skip, args.reason, strict=True):
        if not reason.strip():
            raise UsageError(f"--skip {rid}: the --reason is empty")
        exceptions[rid] = reason.strip()
    return levels, exceptions


def _levels(args: argparse.Namespace) -> list[str] | None:
    """``--levels a,b`` as a list; ``None`` when not given (all of the role's levels)."""
    if args.levels is None:
        return None
    levels = [lvl.strip() for lvl in args.levels.split(",") if lvl.strip()]
    if not levels:
        raise UsageError(
            "--levels needs at least one level: schema, format, lifecycle, concurrency"
        )
    return levels


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Property-based conformance kit for Inngest runs.")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command_name", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    p = sub.add_parser("certify", help="certify an implementation and write reports")
    _implementation_options(p)
    p.add_argument("--role", choices=tuple(ROLE_LEVELS), help="default: what it describes")
    p.add_argument("--profile", choices=tuple(PROFILES), default="standard")
    p.add_argument("--seed", type=int, default=0, help="makes the cases reproducible")
    p.add_argument(
        "--jobs",
        type=_jobs,
        default=1,
        metavar="N",
        help="run requirements in N worker processes, each with its own implementation "
        "(the report is the same as with 1, apart from timings; default 1)",
    )
    p.add_argument("--report-dir", default="reports", metavar="DIR", help="default reports")
    p.add_argument(
        "--requirement",
        action="append",
        default=[],
        metavar="ID",
        help="run only this requirement (repeatable)",
    )
    p.add_argument("--quiet", action="store_true", help="print only the verdict line")
    _junit_option(p)
    _log_cases_option(p)
    _scope_options(p)
    _baseline_options(p)
    _search_options(p)
    _schema_options(p)

    p = sub.add_parser("compare", help="run the same cases through several implementations")
    g = p.add_argument_group("implementations (two or more, in any mix)")
    for flag, meta in (("--target", "MOD:OBJ"), ("--command", "CMD"), ("--url", "URL")):
        g.add_argument(flag, action="append", default=[], metavar=meta)
    _rejects_with_option(p)
    _answer_limit_options(p)
    p.add_argument("--role", choices=tuple(ROLE_LEVELS))
    p.add_argument("--profile", choices=tuple(PROFILES), default="standard")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--jobs",
        type=_jobs,
        default=1,
        metavar="N",
        help="compare requirements in N worker processes, each opening every implementation "
        "(the report is the same as with 1, apart from timings; default 1)",
    )
    p.add_argument(
        "--report-dir", default="reports/compare", metavar="DIR", help="default reports/compare"
    )
    p.add_argument("--levels", metavar="LIST", help="comma-separated levels to compare")
    p.add_argument("--quiet", action="store_true")
    _junit_option(p)
    _baseline_options(p)
    _log_cases_option(p)
    _search_options(p)
    _schema_options(p)

    p = sub.add_parser("fixtures", help="write labelled fuzz fixtures")
    p.add_argument("--valid", type=int, required=True, metavar="N")
    p.add_argument("--invalid", type=int, required=True, metavar="N")
    p.add_argument("--sequences", type=int, default=0, metavar="N")
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--out", required=True, metavar="DIR")
    p.add_argument("--format", choices=FORMATS, default="jsonl")
    p.add_argument(
        "--common-datetimes",
        action="store_true",
        help="valid records' date-times only as YYYY-MM-DDTHH:MM:SS[.ffffff]Z, years 1970-2099",
    )
    p.add_argument(
        "--jobs",
        type=_jobs,
        default=1,
        metavar="N",
        help="draw records in N worker processes (the files are the same bytes as with 1; "
        "default 1)",
    )
    _schema_options(p)

    p = sub.add_parser("audit", help="audit the records a source emitted (JSON Lines)")
    p.add_argument("file", metavar="FILE.jsonl")
    p.add_argument(
        "--report-dir", default="reports/audit", metavar="DIR", help="default reports/audit"
    )
    p.add_argument(
        "--max-line-mb",
        type=_megabytes,
        default=None,
        metavar="MB",
        help="the longest line read (default 16 MiB); a longer one is a bad line, skipped",
    )
    p.add_argument(
        "--record-timeout",
        type=_seconds,
        default=None,
        metavar="S",
        help="seconds to judge one record at most (default 2); past it the line is undecided",
    )
    p.add_argument(
        "--workers",
        action="store_true",
        help="the lines interleave several workers' records, so line order is not time "
        "order: each run is judged in the order its records were read (metadata.fetchedAt "
        "of the API response a line holds), else by what no order explains",
    )
    _schema_options(p)

    p = sub.add_parser("validate", help="run one record through the oracle")
    p.add_argument("file", metavar="FILE.json")
    p.add_argument("--schema", metavar="PATH")
    _draft_option(p)

    p = sub.add_parser(
        "replay",
        help="rerun a report's counterexamples",
        description="Ask an implementation about a report's saved counterexamples again. "
        "A report is data: replay reaches only the implementation you name here, or, with "
        "--trust-report, the one the report records.",
    )
    p.add_argument("report", metavar="REPORT.json")
    p.add_argument("--requirement", action="append", default=[], metavar="ID")
    p.add_argument(
        "--case",
        metavar="CASE_ID",
        help="send only this one failed case again (its case_id) and print the answer "
        "against the expected one",
    )
    _implementation_options(p, "the one to ask; or --trust-report")
    p.add_argument(
        "--trust-report",
        action="store_true",
        help="start or import the implementation the report records (runs what it names)",
    )
    p.add_argument(
        "--implementation",
        metavar="NAME",
        help="in a compare report: whose failures to replay against the one named here",
    )

    p = sub.add_parser(
        "export",
        help="write a report's failures as regression tests",
        description="Write each failure of a report as a regression test: a pytest module "
        "run against the implementation through the plugin, and/or a JSON Schema Test Suite "
        "file of the validator failures.",
    )
    p.add_argument("report", metavar="REPORT.json")
    p.add_argument("--pytest", metavar="FILE", help="write a pytest module, one test a failure")
    p.add_argument(
        "--test-suite",
        metavar="FILE",
        help="write the validator failures in the JSON Schema Test Suite format",
    )
    _schema_options(p)

    p = sub.add_parser("requirements", help="list the requirement catalogue")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument(
        "--variants",
        action="store_true",
        help="also list each requirement's variants, as ids --skip can name (ID[variant])",
    )
    _schema_options(p)
    return parser


class _Progress:
    """Progress per requirement on a terminal; nothing when not a TTY."""

    def __init__(self, stream: TextIO, total: int) -> None:
        self.stream, self.total, self.done = stream, total, 0
        self.live = stream.isatty()

    def __call__(self, event: str, req: Requirement, result: Result | None) -> None:
        if not self.live:
            return
        if event == "start":
            self.stream.write(f"\r\x1b[K[{self.done + 1}/{self.total}] {req.id} …")
        else:
            self.done += 1
            assert result is not None
            mark = {"passed": "ok", "failed": "FAIL", "errored": "ERROR", "skipped": "skip"}
            self.stream.write(
                f"\r\x1b[K[{self.done}/{self.total}] {req.id} {mark[result.outcome]}\n"
            )
        self.stream.flush()


def _summary(report: dict[str, Any], out: TextIO, quiet: bool) -> None:
    if not quiet:
        width = max((len(r["id"]) for r in report["requirements"]), default=10)
        for r in report["requirements"]:
            out.write(
                f"  {r['outcome']:<8} {r['keyword']:<6} {r['id']:<{width}}  "
                f"{r['examples']:>5} cases{declared_note(r)}\n"
            )
        if report["requirements"]:
            note = textwrap.wrap(f"({cases_note(report)})", width=92)
            out.write("".join(f"  {' ' if i else ''}{line}\n" for i, line in enumerate(note)))
        for r in report["requirements"]:
            if r["outcome"] in ("failed", "errored"):
                out.write(f"\n{r['id']}: {r['message']}\n")
                out.write(counterexample_text(r))
                out.write(f"  reproduce: {r['reproduce']}\n")
                if r.get("rerun") and r["rerun"] != r["reproduce"]:
                    out.write(f"  rerun:     {r['rerun']}\n")
                out.write(failure_kinds(r))
        gone = report.get("unreachable") or []
        if gone:
            out.write(
                f"\nnot requirements here (no value breaks them alone; the report says why): "
                f"{len(gone)}, e.g. {gone[0]['id']}: {gone[0]['reason']}\n"
            )
        levels = ", ".join(f"{k} {v}" for k, v in report["levels"].items())
        out.write(f"\nlevels: {levels}\n")
        if search_note(report):
            out.write(f"{search_note(report)}\n")
        for text in hint_texts(report):
            out.write(f"hint: {text}\n")
    c = report["counts"]
    if report.get("exceptions") and not quiet:
        out.write("declared exceptions (not claimed; a variant's cases are not counted):\n")
        for e in report["exceptions"]:
            out.write(f"  {e['id']}: {e['reason']}\n")
    out.write(
        f"verdict: {report.get('verdict_text') or report['verdict']} "
        f"({c['passed']} passed, {c['failed']} failed, "
        f"{c['errored']} errored, {c['skipped']} skipped; {report['duration_s']:.1f} s)\n"
    )
    _baseline_summary(report, out, quiet)


def _certify(args: argparse.Namespace) -> int:
    ctx = context(args.schema, args.lifecycle, args.draft)
    levels, exceptions = scope(args)
    baseline = read_baseline(args)
    budget = read_budget(args)
    schema_paths = _schema_paths(args)
    words = invocation(
        target=args.target,
        command=args.command,
        url=args.url,
        schema=schema_paths.get("schema"),
        lifecycle=schema_paths.get("lifecycle"),
        rejects_with=args.rejects_with,
        draft=args.draft,
    )
    report_dir = Path(args.report_dir)
    _check_writable(report_dir)
    if args.junit:
        check_junit_path(args.junit)
    if args.log_cases is not None:
        check_log_path(args.log_cases)
    with interrupts() as guard:
        return _certify_run(
            args, ctx, levels, exceptions, baseline, budget, words, report_dir, guard
        )


def _certify_run(
    args: argparse.Namespace,
    ctx: Context,
    levels: list[str] | None,
    exceptions: dict[str, str],
    baseline: Baseline | None,
    budget: Budget | None,
    words: list[str],
    report_dir: Path,
    guard: InterruptGuard,
) -> int:
    """The run under ``guard``: from the first case until the reports are written, a
    Ctrl-C ends the run with an interrupted report and exit 130, never half of one."""
    spec = AdapterSpec(
        target=args.target,
        command=args.command,
        url=args.url,
        request_timeout=args.timeout,
        startup_timeout=args.startup_timeout,
        max_answer_bytes=args.max_answer_mb,
        rejects_with=tuple(args.rejects_with),
        schema=args.schema,
        lifecycle=args.lifecycle,
        draft=args.draft,
    )
    with guard.raising():
        adapter: Adapter = spec.open()
    try:
        role = args.role
        progress = _Progress(sys.stderr, 0)
        description = None
        if progress.live:
            with guard.raising():
                description = describe(adapter)
            role = choose_role(adapter, role, description)
            progress.total = len(
                plan(ctx, role, only=args.requirement, levels=levels, exceptions=exceptions)
            )
        cert = certify_adapter(
            adapter,
            ctx=ctx,
            role=role,
            profile=args.profile,
            seed=args.seed,
            only=args.requirement,
            invocation=words,
            listener=progress,
            levels=levels,
            exceptions=exceptions,
            description=description,
            jobs=args.jobs,
            reopen=spec,
            baseline=baseline,
            log_cases=args.log_cases,
            budget=budget,
            database=args.database,
        )
    finally:
        adapter.close()
    # The commands printed name the report where it is written.
    judged = with_report_path(cert.report, str(report_dir / "report.json"))
    if guard.requested and not judged.get("interrupted"):
        judged = mark_interrupted(judged)
    code = cert.exit_code
    report, after = _rewrite_baseline(args, ctx, judged, baseline, code)
    # The summary first: a run whose reports then cannot be written is still seen.
    _summary(report, sys.stdout, args.quiet)
    paths = write_reports(report, report_dir)
    if guard.requested and not report.get("interrupted"):  # while the reports were written
        report, after = mark_interrupted(judged), None  # and the baseline is left alone
        paths = write_reports(report, report_dir)
    paths += _ci_files(report, report_dir, args.junit)
    if not args.quiet:
        sys.stdout.write(f"reports: {', '.join(str(p) for p in paths)}\n")
    _warn_unwritten_log(report)
    if report.get("interrupted"):
        sys.stderr.write(f"{PROG}: interrupted; the report keeps what was judged\n")
        return 130
    if baseline is not None and after is not None:
        _write_baseline(baseline, after)
        code = exit_status(report, code)
    if cert.exit_code == 2:
        reasons = [r.message for r in cert.results if r.outcome in ("errored", "skipped")]
        reasons = reasons or [w for w in report.get("warnings", ()) if "not judged" in w]
        sys.stderr.write(
            f"{PROG}: error: nothing could be judged"
            + (f": {reasons[0]}" if reasons else "")
            + "\n"
        )
    return _finish_baseline(report, baseline, code)


def _warn_unwritten_log(report: dict[str, Any]) -> None:
    """A case log that could not be written (a full disk) is a warning: the run and its
    reports stand."""
    from inngest_conformance._case_log import UNWRITTEN

    for warning in report.get("warnings", ()):
        if UNWRITTEN in warning:
            sys.stderr.write(f"{PROG}: warning: {warning}\n")


def _schema_paths(args: argparse.Namespace) -> dict[str, str]:
    """``--schema``/``--lifecycle`` as absolute paths (a record profile's name as it is),
    for commands printed in reports."""
    return {
        flag: absolute_or_profile(getattr(args, flag))
        for flag in ("schema", "lifecycle")
        if getattr(args, flag) is not None
    }


def _compare(args: argparse.Namespace) -> int:
    ctx = context(args.schema, args.lifecycle, args.draft)
    levels = _levels(args)
    baseline = read_baseline(args)
    budget = read_budget(args)
    specs = [("target", t) for t in args.target] + [("command", c) for c in args.command]
    specs += [("url", u) for u in args.url]
    if len(specs) < 2:
        raise UsageError("compare needs two or more implementations (--target/--command/--url)")
    report_dir = Path(args.report_dir)
    _check_writable(report_dir)
    if args.junit:
        check_junit_path(args.junit)
    if args.log_cases is not None:
        check_log_path(args.log_cases)
    # Each implementation's own certify arguments (a target's with its rejection classes),
    # and the whole comparison's.
    schema_paths = _schema_paths(args)
    invocations = [
        invocation(
            **{kind: value},
            schema=schema_paths.get("schema"),
            lifecycle=schema_paths.get("lifecycle"),
            rejects_with=args.rejects_with if kind == "target" else (),
            draft=args.draft,
        )
        for kind, value in specs
    ]
    words = [word for kind, value in specs for word in (f"--{kind}", value)]
    words += invocation(
        schema=schema_paths.get("schema"), lifecycle=schema_paths.get("lifecycle"), draft=args.draft
    )
    opens = [
        AdapterSpec(
            **{kind: value},
            request_timeout=args.timeout,
            startup_timeout=args.startup_timeout,
            max_answer_bytes=args.max_answer_mb,
            rejects_with=tuple(args.rejects_with) if kind == "target" else (),
            schema=args.schema,
            lifecycle=args.lifecycle,
            draft=args.draft,
        )
        for kind, value in specs
    ]
    adapters: list[Adapter] = []
    try:
        for spec in opens:
            adapters.append(spec.open())
        cert = compare_adapters(
            adapters,
            ctx=ctx,
            role=args.role,
            profile=args.profile,
            seed=args.seed,
            levels=levels,
            invocation=words,
            invocations=invocations,
            baseline=baseline,
            log_cases=args.log_cases,
            jobs=args.jobs,
            reopen=opens,
            budget=budget,
            database=args.database,
        )
    finally:
        for adapter in adapters:
            adapter.close()
    code = exit_status(cert.report, 0 if cert.verdict == "conformant" else 1)
    report, after = _rewrite_baseline(args, ctx, cert.report, baseline, code)
    paths = write_reports(report, report_dir)
    paths += _ci_files(report, report_dir, args.junit)
    _warn_unwritten_log(report)
    section = with_report_path(report, str(report_dir / "report.json"))["compare"]
    names = [i["column"] for i in section["implementations"]]
    out = sys.stdout
    if not args.quiet:
        width = max(len(r["id"]) for r in section["matrix"])
        out.write(f"{'requirement':<{width}}  " + "  ".join(names) + "\n")
        for row in section["matrix"]:
            cells = "  ".join(f"{row['outcomes'][n]:<{len(n)}}" for n in names)
            out.write(f"{row['id']:<{width}}  {cells}\n")
        for d in section["disagreements"]:
            out.write(f"\ndisagreement on {d['requirement']}: {json.dumps(d['case'])[:300]}\n")
            for n, t in d["answers"].items():
                out.write(
                    f"  {n}: {'agrees' if t['ok'] else 'DISAGREES'} "
                    f"{json.dumps(t.get('answer', t.get('errored')))[:200]}\n"
                )
        # One command per implementation and failure: each reruns that one alone.
        failures = [(i["column"], f) for i in section["implementations"] for f in i["failures"]]
        if failures:
            out.write("\n")
        for column, f in failures:
            out.write(f"{f['id']} [{column}]: {f['outcome']}\n  reproduce: {f['reproduce']}\n")
            if f.get("rerun") and f["rerun"] != f["reproduce"]:
                out.write(f"  rerun:     {f['rerun']}\n")
        for text in hint_texts(cert.report):
            out.write(f"hint: {text}\n")
        out.write(f"reports: {', '.join(str(p) for p in paths)}\n")
    for i in section["implementations"]:
        t = section["totals"][i["column"]]
        out.write(
            f"{i['column']}: {i['verdict']} ({t['passed']} passed, {t['failed']} failed, "
            f"{t['errored']} errored)\n"
        )
    _baseline_summary(report, out, args.quiet)
    if baseline is not None and after is not None:
        _write_baseline(baseline, after)
        code = exit_status(report, code)
    return _finish_baseline(report, baseline, code)


def _ci_files(report: dict[str, Any], report_dir: Path, junit: str | None) -> list[Path]:
    """What a CI system reads, from the report as written: the JUnit file when asked for,
    and the job summary when the CI names a file for it (``GITHUB_STEP_SUMMARY``)."""
    written = with_report_path(report, str(report_dir / "report.json"))
    paths = [write_junit(junit, [written])] if junit else []
    append_step_summary([written], prog=PROG)
    return paths


def _check_writable(directory: Path) -> None:
    """Fail before the run, not after it, if the reports could not be written.

    Nothing is created here: a refused run leaves no empty folder behind.
    """
    existing = directory.absolute()
    while not existing.exists():
        existing = existing.parent
    problem = ""
    if existing == directory.absolute() and not existing.is_dir():
        problem = "it is not a folder"
    elif not existing.is_dir():
        problem = f"{existing} is not a folder"
    elif not os.access(existing, os.W_OK | os.X_OK):
        problem = f"{existing} is not writable"
    if problem:
        raise UsageError(f"cannot write reports to {directory}: {problem}; choose --report-dir")


#: How much of an answer (and of the case sent) ``replay --case`` prints.
ANSWER_LIMIT = 2000
#: How much of each case sent ``replay`` prints without ``--case`` (report.json has it all).
SENT_LIMIT = 300


def _json_line(value: Any, limit: int = ANSWER_LIMIT) -> str:
    """``value`` as one line of ASCII JSON (every non-ASCII character escaped), clipped."""
    return clip(json.dumps(value, ensure_ascii=True, default=repr), limit)


def _read_json(path: str, what: str) -> Any:
    text = read_text(path, what, UsageError)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{what} {path} is not JSON: {exc}") from None


def _validate(args: argparse.Namespace) -> int:
    """The dialect's verdict (exit 1 on an error); an error under the kit's reading of
    OpenAPI's formats alone is shown, marked, and leaves the record valid."""
    ctx = context(args.schema, draft=args.draft)
    document = _read_json(args.file, "record")
    oracle = Oracle(ctx.schema)
    errors = oracle.errors(document)
    kit_only = [e for e in oracle.errors(document, reading=OPENAPI_FORMAT) if e not in errors]
    if not errors:
        sys.stdout.write(f"{args.file}: valid\n")
    for e in errors:
        sys.stdout.write(f"{args.file}: {e.path or '/'}: {e.message} [{e.keyword}]\n")
    for e in kit_only:
        sys.stdout.write(
            f"{args.file}: {e.path or '/'}: {e.message} [{e.keyword}, {OPENAPI_FORMAT} reading: "
            "a SHOULD, JSON Schema has no such format]\n"
        )
    return 1 if errors else 0


def _fixtures(args: argparse.Namespace) -> int:
    ctx = context(args.schema, args.lifecycle, args.draft)
    try:
        paths = write_fixtures(
            args.out,
            schema=ctx.schema,
            model=ctx.model,
            seed=args.seed,
            valid=args.valid,
            invalid=args.invalid,
            sequences=args.sequences,
            fmt=args.format,
            common_datetimes=args.common_datetimes,
            jobs=args.jobs,
        )
    except OSError as exc:
        raise UsageError(f"cannot write fixtures to {args.out}: {exc.strerror or exc}") from None
    for p in paths:
        sys.stdout.write(f"wrote {p}\n")
    return 0


def _audit(args: argparse.Namespace) -> int:
    from inngest_conformance._audit import (
        FITS,
        MAX_LINE_BYTES,
        RECORD_TIMEOUT,
        WORKERS,
        audit_file,
        judged_against,
    )

    ctx = context(args.schema, args.lifecycle, args.draft)
    report_dir = Path(args.report_dir)
    _check_writable(report_dir)
    cert = audit_file(
        ctx,
        args.file,
        max_line=args.max_line_mb or MAX_LINE_BYTES,
        record_timeout=args.record_timeout or RECORD_TIMEOUT,
        workers=args.workers,
    )
    paths = write_reports(cert.report, report_dir)
    paths += _ci_files(cert.report, report_dir, None)
    sys.stdout.write(f"judged against {judged_against(ctx.schema)}\n")
    _summary(cert.report, sys.stdout, False)
    for warning in (w for w in cert.report["warnings"] if FITS in w or WORKERS in w):
        sys.stdout.write(f"note: {warning}\n")
    sys.stdout.write(f"reports: {', '.join(str(p) for p in paths)}\n")
    return cert.exit_code


def _read_report(path: str) -> dict[str, Any]:
    return checked_report(_read_json(path, "report"), f"report {path}")


def _replay(args: argparse.Namespace) -> int:
    """One line per kind of failure replayed, with the case it sent.  0 when every kind of
    every failure passes now; 1 when one still fails (or is flaky, or errored among judged
    ones); 2 when every replay errored: nothing could be judged."""
    report = _read_report(args.report)
    outcomes = replay_report(
        report,
        only=args.requirement,
        timeout=args.timeout,
        startup_timeout=args.startup_timeout,
        max_answer_bytes=args.max_answer_mb,
        target=args.target,
        command=args.command,
        url=args.url,
        implementation=args.implementation,
        trust_report=args.trust_report,
        rejects_with=args.rejects_with,
        case=args.case,
    )
    for r in outcomes:
        # The kind as export and --skip name it: ID[kind].
        kind = f"[{r.kind}]" if r.kind else ""
        whose = f" [{r.implementation}]" if r.implementation else ""
        sys.stdout.write(f"{r.status:<13} {r.requirement}{kind}{whose}: {r.message}\n")
        if args.case is None:
            sys.stdout.write(f"  sent:     {_json_line(r.sent, SENT_LIMIT)}\n")
            continue
        sys.stdout.write(
            f"  sent:     {_json_line(r.sent)}\n"
            f"  case_id:  {r.case_id}\n  answer:   {_json_line(r.answer)}\n"
            f"  expected: {_json_line(r.expected)}\n"
        )
    if not outcomes:
        sys.stdout.write("nothing to replay: the report has no failed requirement\n")
        return 0
    errored = [r for r in outcomes if r.status == "errored"]
    if len(errored) == len(outcomes):
        sys.stderr.write(
            f"{PROG}: error: every replay errored, nothing was judged: {errored[0].message}\n"
        )
        return 2
    if errored:
        sys.stderr.write(
            f"{PROG}: {len(errored)} of {len(outcomes)} replays errored: {errored[0].message}\n"
        )
    return 0 if all(r.status == "passes-now" for r in outcomes) else 1


def _export(args: argparse.Namespace) -> int:
    from inngest_conformance._export import export_report

    report = _read_report(args.report)
    done = export_report(
        report,
        report_path=args.report,
        pytest_path=args.pytest,
        test_suite_path=args.test_suite,
        schema=args.schema,
        lifecycle=args.lifecycle,
        draft=args.draft,
    )
    if not done.failures:
        sys.stdout.write("nothing to export: the report has no failed or errored requirement\n")
        return 0
    for line in done.left_out:
        sys.stderr.write(f"{PROG}: left out of {args.test_suite}: {line}\n")
    if args.test_suite is not None and not any(p == Path(args.test_suite) for p, _ in done.written):
        sys.stdout.write(f"{args.test_suite}: not written, no validator failure to put in it\n")
    for path, n in done.written:
        sys.stdout.write(f"wrote {path} ({n} test{'s' if n != 1 else ''})\n")
    return 0


def _requirements(args: argparse.Namespace) -> int:
    ctx = context(args.schema, args.lifecycle, args.draft)
    # Every level, the opt-in ones too (they are run only with --levels); a role the schema
    # gives no requirement (a lifecycle of records without a status) lists none.
    reqs = [r for role in ROLE_LEVELS for r in catalogue(ctx.schema, role=role, model=ctx.model)]
    variants = {r.id: variant_names(ctx, r) for r in reqs} if args.variants else {}
    if args.format == "json":
        rows = [
            {**r.to_json(), **({"variants": variants[r.id]} if args.variants else {})} for r in reqs
        ]
        sys.stdout.write(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
        return 0
    width = max(len(r.id) for r in reqs)
    for level in LEVELS:
        for r in reqs:
            if r.level == level:
                # An id, a statement or a variant may hold what a schema's enum holds (a
                # newline, NUL): one line each, whatever it is.
                rid = visible(r.id, limit=len(r.id) * 12 + 1)
                sys.stdout.write(f"{rid:<{width}}  {r.keyword:<6} {visible(r.statement)}\n")
                for v in variants.get(r.id, ()):
                    sys.stdout.write(f"  {rid}[{visible(v, limit=len(v) * 12 + 1)}]\n")
    return 0


COMMANDS = {
    "certify": _certify,
    "compare": _compare,
    "fixtures": _fixtures,
    "audit": _audit,
    "validate": _validate,
    "replay": _replay,
    "export": _export,
    "requirements": _requirements,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # Ctrl-C goes through one guard for the life of the process, never handed back to
    # Python's default: a second Ctrl-C while an interrupted run writes its report, or on
    # the way out, must not turn into a traceback.  certify decides where an interrupt
    # lands; every other command is interruptible throughout.
    guard = InterruptGuard()
    main_thread = threading.current_thread() is threading.main_thread()
    if main_thread:
        guard.install()
    try:
        return _run(args, guard)
    finally:
        if main_thread:
            # At exit Python puts back the default handler, which kills the process: a
            # Ctrl-C pressed twice would turn exit 130 into death by signal.
            signal.signal(signal.SIGINT, signal.SIG_IGN)


def _run(args: argparse.Namespace, guard: InterruptGuard) -> int:
    command = COMMANDS[args.command_name]
    try:
        if args.command_name == "certify":  # it places its own interrupt regions
            code = command(args)
        else:
            with guard.raising():
                code = command(args)
        sys.stdout.flush()  # here, so that a closed pipe is met inside the try
        return code
    except BrokenPipeError:
        # The reader went away (`... | head`): stop quietly, and keep the interpreter's
        # last flush of stdout from failing again on the way out.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except ConformanceError as exc:  # a kit bug stays a traceback a maintainer can read
        sys.stderr.write(f"{PROG}: error: {exc}\n")
        return 2
    except ImplementationError as exc:
        sys.stderr.write(f"{PROG}: error: the implementation did not answer: {exc}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write(f"{PROG}: interrupted\n")
        return 130
