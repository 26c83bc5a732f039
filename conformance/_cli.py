"""The ``inngest-conformance`` command: a thin door onto the library.

Exit status: 0 conformant / valid, 1 non-conformant / invalid, 2 a usage error or the kit
could not do its job.  Every error the user can cause is one line on stderr, never a
traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn, TextIO

from inngest_conformance._adapters import TargetError
from inngest_conformance._adapters.base import Adapter, ImplementationError
from inngest_conformance._api import UsageError, certify_adapter, context, open_adapter, plan
from inngest_conformance._engine import PROFILES, Result
from inngest_conformance._replay import replay_report
from inngest_conformance._requirements import LEVELS, ROLE_LEVELS, Requirement
from inngest_conformance._version import __version__
from inngest_conformance.report import write_reports
from inngest_conformance.strategies._files import read_text
from inngest_conformance.strategies._fixtures import FORMATS, write_fixtures
from inngest_conformance.strategies._lifecycle import LifecycleError
from inngest_conformance.strategies._oracle import Oracle
from inngest_conformance.strategies._schema import SchemaError

PROG = "inngest-conformance"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _implementation_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("implementation (exactly one)")
    g.add_argument("--target", metavar="MOD:OBJ", help="a Python object, called in-process")
    g.add_argument("--command", metavar="CMD", help="a program speaking the wire protocol")
    g.add_argument("--url", metavar="URL", help="a service answering the wire protocol")
    _rejects_with_option(p)
    p.add_argument(
        "--timeout",
        type=float,
        default=5.0,
        metavar="S",
        help="seconds to wait for one answer (default 5)",
    )
    p.add_argument(
        "--startup-timeout",
        type=float,
        default=10.0,
        metavar="S",
        help="seconds to wait for a program's first answer (default 10)",
    )


def _rejects_with_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--rejects-with",
        action="append",
        default=[],
        metavar="MOD:CLASS",
        help="an exception class a Python --target raises to refuse, besides ValueError "
        "(repeatable)",
    )


def _schema_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--schema", metavar="PATH", help="a run schema (default: the packaged one)")
    p.add_argument("--lifecycle", metavar="PATH", help="a lifecycle table, JSON or TOML")


def _scope_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("what the verdict covers")
    g.add_argument(
        "--levels",
        metavar="LIST",
        help="comma-separated levels the verdict covers (default: all of the role's)",
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
        exceptions.update(_read_skip_file(args.skip_file))
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
        raise UsageError("--levels needs at least one level: schema, format, lifecycle")
    return levels


def _read_skip_file(path: str) -> dict[str, str]:
    text = read_text(path, "--skip-file", UsageError)
    if text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise UsageError(f"--skip-file {path} is not JSON: {exc}") from None
        if not all(
            isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in data.items()
        ):
            raise UsageError(f"--skip-file {path}: each id needs a non-empty reason string")
        return {k: v.strip() for k, v in data.items()}
    out: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        rid, _, reason = line.partition(" ")
        if not reason.strip():
            raise UsageError(f"--skip-file {path}:{number}: {rid!r} needs a reason after it")
        out[rid] = reason.strip()
    return out


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
    p.add_argument("--report-dir", default="reports", metavar="DIR")
    p.add_argument(
        "--requirement",
        action="append",
        default=[],
        metavar="ID",
        help="run only this requirement (repeatable)",
    )
    p.add_argument("--quiet", action="store_true", help="print only the verdict line")
    _scope_options(p)
    _schema_options(p)

    p = sub.add_parser("compare", help="run the same cases through several implementations")
    g = p.add_argument_group("implementations (two or more, in any mix)")
    for flag, meta in (("--target", "MOD:OBJ"), ("--command", "CMD"), ("--url", "URL")):
        g.add_argument(flag, action="append", default=[], metavar=meta)
    _rejects_with_option(p)
    p.add_argument("--timeout", type=float, default=5.0, metavar="S")
    p.add_argument("--startup-timeout", type=float, default=10.0, metavar="S")
    p.add_argument("--role", choices=tuple(ROLE_LEVELS))
    p.add_argument("--profile", choices=tuple(PROFILES), default="standard")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--report-dir", default="reports", metavar="DIR")
    p.add_argument("--levels", metavar="LIST", help="comma-separated levels to compare")
    p.add_argument("--quiet", action="store_true")
    _schema_options(p)

    p = sub.add_parser("fixtures", help="write labelled fuzz fixtures")
    p.add_argument("--valid", type=int, required=True, metavar="N")
    p.add_argument("--invalid", type=int, required=True, metavar="N")
    p.add_argument("--sequences", type=int, default=0, metavar="N")
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--out", required=True, metavar="DIR")
    p.add_argument("--format", choices=FORMATS, default="jsonl")
    _schema_options(p)

    p = sub.add_parser("audit", help="audit the records a source emitted (JSON Lines)")
    p.add_argument("file", metavar="FILE.jsonl")
    p.add_argument("--report-dir", default="reports", metavar="DIR")
    _schema_options(p)

    p = sub.add_parser("validate", help="run one record through the oracle")
    p.add_argument("file", metavar="FILE.json")
    p.add_argument("--schema", metavar="PATH")

    p = sub.add_parser("replay", help="rerun a report's counterexamples")
    p.add_argument("report", metavar="REPORT.json")
    p.add_argument("--requirement", action="append", default=[], metavar="ID")
    p.add_argument("--timeout", type=float, default=5.0, metavar="S")

    p = sub.add_parser("requirements", help="list the requirement catalogue")
    p.add_argument("--format", choices=("text", "json"), default="text")
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
                f"{r['examples']:>5} cases\n"
            )
        for r in report["requirements"]:
            if r["outcome"] in ("failed", "errored"):
                out.write(f"\n{r['id']}: {r['message']}\n")
                out.write(f"  counterexample: {json.dumps(r.get('counterexample'))[:300]}\n")
                out.write(f"  reproduce: {r['reproduce']}\n")
        levels = ", ".join(f"{k} {v}" for k, v in report["levels"].items())
        out.write(f"\nlevels: {levels}\n")
    c = report["counts"]
    if report.get("exceptions") and not quiet:
        out.write("declared exceptions (not run):\n")
        for e in report["exceptions"]:
            out.write(f"  {e['id']}: {e['reason']}\n")
    out.write(
        f"verdict: {report.get('verdict_text') or report['verdict']} "
        f"({c['passed']} passed, {c['failed']} failed, "
        f"{c['errored']} errored, {c['skipped']} skipped; {report['duration_s']:.1f} s)\n"
    )


def _certify(args: argparse.Namespace) -> int:
    ctx = context(args.schema, args.lifecycle)
    levels, exceptions = scope(args)
    invocation: list[str] = []
    for flag in ("target", "command", "url"):
        if getattr(args, flag) is not None:
            invocation += [f"--{flag}", getattr(args, flag)]
    for flag in ("schema", "lifecycle"):
        if getattr(args, flag) is not None:
            invocation += [f"--{flag}", str(Path(getattr(args, flag)).resolve())]
    invocation += [word for spec in args.rejects_with for word in ("--rejects-with", spec)]
    report_dir = Path(args.report_dir)
    _check_writable(report_dir)
    adapter: Adapter = open_adapter(
        target=args.target,
        command=args.command,
        url=args.url,
        request_timeout=args.timeout,
        startup_timeout=args.startup_timeout,
        rejects_with=args.rejects_with,
    )
    try:
        role = args.role
        progress = _Progress(sys.stderr, 0)
        description = None
        if progress.live:
            from inngest_conformance._api import choose_role, describe

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
            invocation=invocation,
            listener=progress,
            levels=levels,
            exceptions=exceptions,
            description=description,
        )
    finally:
        adapter.close()
    # The summary first: a run whose reports then cannot be written is still seen.
    _summary(cert.report, sys.stdout, args.quiet)
    paths = write_reports(cert.report, report_dir)
    if not args.quiet:
        sys.stdout.write(f"reports: {', '.join(str(p) for p in paths)}\n")
    return cert.exit_code


def _compare(args: argparse.Namespace) -> int:
    from inngest_conformance._api import compare_adapters

    ctx = context(args.schema, args.lifecycle)
    levels = _levels(args)
    specs = [("target", t) for t in args.target] + [("command", c) for c in args.command]
    specs += [("url", u) for u in args.url]
    if len(specs) < 2:
        raise UsageError("compare needs two or more implementations (--target/--command/--url)")
    report_dir = Path(args.report_dir)
    _check_writable(report_dir)
    invocation = [word for kind, value in specs for word in (f"--{kind}", value)]
    adapters: list[Adapter] = []
    try:
        for kind, value in specs:
            adapters.append(
                open_adapter(
                    **{kind: value},
                    request_timeout=args.timeout,
                    startup_timeout=args.startup_timeout,
                    rejects_with=args.rejects_with if kind == "target" else (),
                )
            )
        cert = compare_adapters(
            adapters,
            ctx=ctx,
            role=args.role,
            profile=args.profile,
            seed=args.seed,
            levels=levels,
            invocation=invocation,
        )
    finally:
        for adapter in adapters:
            adapter.close()
    paths = write_reports(cert.report, report_dir)
    section = cert.report["compare"]
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
        out.write(f"reports: {', '.join(str(p) for p in paths)}\n")
    for i in section["implementations"]:
        t = section["totals"][i["column"]]
        out.write(
            f"{i['column']}: {i['verdict']} ({t['passed']} passed, {t['failed']} failed, "
            f"{t['errored']} errored)\n"
        )
    return 0 if cert.verdict == "conformant" else 1


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


def _read_json(path: str, what: str) -> Any:
    text = read_text(path, what, UsageError)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{what} {path} is not JSON: {exc}") from None


def _validate(args: argparse.Namespace) -> int:
    ctx = context(args.schema)
    document = _read_json(args.file, "record")
    errors = Oracle(ctx.schema).errors(document)
    if not errors:
        sys.stdout.write(f"{args.file}: valid\n")
        return 0
    for e in errors:
        sys.stdout.write(f"{args.file}: {e.path or '/'}: {e.message} [{e.keyword}]\n")
    return 1


def _fixtures(args: argparse.Namespace) -> int:
    ctx = context(args.schema, args.lifecycle)
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
        )
    except OSError as exc:
        raise UsageError(f"cannot write fixtures to {args.out}: {exc.strerror or exc}") from None
    for p in paths:
        sys.stdout.write(f"wrote {p}\n")
    return 0


def _audit(args: argparse.Namespace) -> int:
    from inngest_conformance._audit import audit_file

    ctx = context(args.schema, args.lifecycle)
    report_dir = Path(args.report_dir)
    _check_writable(report_dir)
    cert = audit_file(ctx, args.file)
    paths = write_reports(cert.report, report_dir)
    _summary(cert.report, sys.stdout, False)
    sys.stdout.write(f"reports: {', '.join(str(p) for p in paths)}\n")
    return cert.exit_code


def _replay(args: argparse.Namespace) -> int:
    report = _read_json(args.report, "report")
    outcomes = replay_report(report, only=args.requirement, timeout=args.timeout)
    still = 0
    for rid, status, message in outcomes:
        sys.stdout.write(f"{status:<13} {rid}: {message}\n")
        still += status == "still-fails"
    if not outcomes:
        sys.stdout.write("nothing to replay: the report has no failed requirement\n")
    return 1 if still else 0


def _requirements(args: argparse.Namespace) -> int:
    ctx = context(args.schema, args.lifecycle)
    reqs = [r for role in ROLE_LEVELS for r in plan(ctx, role)]
    if args.format == "json":
        sys.stdout.write(json.dumps([r.to_json() for r in reqs], indent=2) + "\n")
        return 0
    width = max(len(r.id) for r in reqs)
    for level in LEVELS:
        for r in reqs:
            if r.level == level:
                sys.stdout.write(f"{r.id:<{width}}  {r.keyword:<6} {r.statement}\n")
    return 0


COMMANDS = {
    "certify": _certify,
    "compare": _compare,
    "fixtures": _fixtures,
    "audit": _audit,
    "validate": _validate,
    "replay": _replay,
    "requirements": _requirements,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code = COMMANDS[args.command_name](args)
        sys.stdout.flush()  # here, so that a closed pipe is met inside the try
        return code
    except BrokenPipeError:
        # The reader went away (`... | head`): stop quietly, and keep the interpreter's
        # last flush of stdout from failing again on the way out.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except (UsageError, SchemaError, LifecycleError, TargetError, ValueError) as exc:
        sys.stderr.write(f"{PROG}: error: {exc}\n")
        return 2
    except ImplementationError as exc:
        sys.stderr.write(f"{PROG}: error: the implementation did not answer: {exc}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write(f"{PROG}: interrupted\n")
        return 130
