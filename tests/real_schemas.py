"""Certify validators against the corpus of real schemas (``tests/data/real-schemas/``), each
at ``--profile quick`` through the real command line, and tabulate what happened: accepted
(with the verdict and counts), refused (with the one-line reason), or a traceback.

    python tests/real_schemas.py                          # the reference validator
    python tests/real_schemas.py --target jsonschema-rs   # jsonschema-rs on each schema
    python tests/real_schemas.py --only gitlab-ci --json out.json

The slow test ``tests/test_real_schemas.py`` runs the same :func:`certify` on every schema.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "data" / "real-schemas"
TARGETS = {
    "reference": "inngest_conformance.reference:validator",
    "jsonschema-rs": "tests.fakes.third_party:following_jsonschema_rs",
}
#: Seconds one certify may take before it counts as a hang.
TIMEOUT = 600.0


@dataclass
class Outcome:
    """What one certify of one schema came to."""

    schema: str
    target: str
    status: str
    """``accepted`` (a report was written), ``refused`` (exit 2, one line), ``traceback``,
    or ``timeout``."""
    exit_status: int | None
    seconds: float
    reason: str = ""
    """A refusal's line, or a traceback's last line."""
    stderr_lines: int = 0
    verdict: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)
    """The failed and errored requirements, with their messages."""


def schemas() -> list[Path]:
    """The corpus, by the order of its provenance file."""
    listed = json.loads((CORPUS / "provenance.json").read_text())["schemas"]
    return [CORPUS / entry["file"] for entry in listed]


def certify(schema: Path, target: str, *, timeout: float = TIMEOUT) -> Outcome:
    """``inngest-conformance certify --target TARGET --schema SCHEMA --profile quick``."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    with tempfile.TemporaryDirectory() as out:
        argv = [sys.executable, "-m", "inngest_conformance", "certify", "--target", target]
        argv += ["--schema", str(schema), "--profile", "quick", "--report-dir", out, "--quiet"]
        start = time.perf_counter()
        try:
            done = subprocess.run(
                argv,
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return Outcome(schema.stem, target, "timeout", None, time.perf_counter() - start)
        seconds = time.perf_counter() - start
        lines = done.stderr.strip().splitlines()
        outcome = Outcome(
            schema.stem, target, "", done.returncode, seconds, stderr_lines=len(lines)
        )
        if "Traceback" in done.stderr:
            outcome.status, outcome.reason = "traceback", lines[-1] if lines else ""
            return outcome
        report = Path(out) / "report.json"
        if done.returncode == 2 or not report.is_file():
            outcome.status, outcome.reason = "refused", " / ".join(lines)
            return outcome
        data = json.loads(report.read_text())
        outcome.status, outcome.verdict, outcome.counts = (
            "accepted",
            data["verdict"],
            data["counts"],
        )
        outcome.failed = [
            f"{r['id']} ({r['outcome']}): {r.get('message', '')}"
            for r in data["requirements"]
            if r["outcome"] in ("failed", "errored")
        ]
        return outcome


def _table(outcomes: list[Outcome]) -> str:
    rows = ["| schema | status | exit | s | verdict / reason |", "| --- | --- | --- | --- | --- |"]
    for o in outcomes:
        what = o.verdict if o.status == "accepted" else o.reason
        if o.status == "accepted":
            what += " " + ", ".join(f"{n} {k}" for k, n in o.counts.items() if n)
        rows.append(
            f"| {o.schema} | {o.status} | {o.exit_status} | {o.seconds:.1f} | "
            f"{what.replace('|', '/')[:220]} |"
        )
    totals = Counter(o.status for o in outcomes)
    verdicts = Counter(o.verdict for o in outcomes if o.verdict)
    rows.append("")
    rows.append(
        f"{len(outcomes)} schemas: "
        + ", ".join(f"{n} {s}" for s, n in sorted(totals.items()))
        + (
            "; verdicts: " + ", ".join(f"{n} {v}" for v, n in sorted(verdicts.items()))
            if verdicts
            else ""
        )
    )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", default="reference", help="reference, jsonschema-rs or MOD:OBJ")
    parser.add_argument("--only", action="append", default=[], metavar="NAME")
    parser.add_argument("--json", metavar="FILE", help="also write every outcome as JSON")
    parser.add_argument("--timeout", type=float, default=TIMEOUT)
    args = parser.parse_args(argv)
    target = TARGETS.get(args.target, args.target)
    chosen = [s for s in schemas() if not args.only or s.stem in args.only]
    outcomes = []
    for path in chosen:
        outcomes.append(certify(path, target, timeout=args.timeout))
        o = outcomes[-1]
        print(
            f"{o.schema}: {o.status} {o.verdict or o.reason[:160]} ({o.seconds:.1f} s)",
            file=sys.stderr,
        )
    print(_table(outcomes))
    if args.json:
        Path(args.json).write_text(json.dumps([asdict(o) for o in outcomes], indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
