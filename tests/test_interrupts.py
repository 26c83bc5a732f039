"""Ctrl-C as a user presses it: at any moment of a long run, once or several times.

Python raises ``KeyboardInterrupt`` wherever the main thread is when SIGINT arrives; inside
a garbage-collector callback (Hypothesis keeps one) it is printed as "Exception ignored"
and dropped.  The promise under test: however the interrupt lands, ``certify`` ends
promptly with exit status 130 and a complete report marked ``interrupted``.
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import jsonschema
import pytest
from inngest_conformance.report import report_schema

from tests.common import CLI

#: The reference validator, which leaves a mark on its first call: the run has begun.
MARKING = """
import os

from inngest_conformance.reference import validator as reference


def validate(record):
    mark = os.environ["RUN_STARTED"]
    if not os.path.exists(mark):
        open(mark, "w").close()
    return reference(record)
"""

#: How long an interrupted run may take to end (its reports included).
PROMPT = 20.0


def interrupt_once(folder: Path, rng: random.Random, round_: int) -> tuple[int, str, float]:
    """Start a certify-profile run, wait until it has begun plus a random while, send one
    to three SIGINTs a random few milliseconds apart; the exit status, stderr, and how
    long the run took to end after the first."""
    mark = folder / f"started-{round_}"
    command = [*CLI, "certify", "--target", "marking:validate", "--profile", "certify"]
    proc = subprocess.Popen(
        [*command, "--report-dir", f"r{round_}"],
        cwd=folder,
        env={**_env(folder), "RUN_STARTED": str(mark)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not mark.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert mark.exists(), "the run never began"
        time.sleep(rng.uniform(0.0, 4.0))
        sent = time.monotonic()
        for _ in range(rng.randint(1, 3)):
            proc.send_signal(signal.SIGINT)
            time.sleep(rng.uniform(0.0, 0.05))
        _, stderr = proc.communicate(timeout=PROMPT)
        return proc.returncode, stderr, time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def _env(folder: Path) -> dict[str, str]:
    import os

    return {**os.environ, "PYTHONPATH": str(folder)}


@pytest.mark.slow
def test_every_ctrl_c_ends_the_run_with_130_and_an_interrupted_report(tmp_path: Path) -> None:
    (tmp_path / "marking.py").write_text(MARKING)
    rng = random.Random(7)
    validator = jsonschema.Draft202012Validator(report_schema())
    for round_ in range(12):
        status, stderr, took = interrupt_once(tmp_path, rng, round_)
        where = f"round {round_}: {stderr[-2000:]}"
        assert status == 130, where
        assert "Exception ignored" not in stderr and "Traceback" not in stderr, where
        assert took < PROMPT, where
        report = json.loads((tmp_path / f"r{round_}" / "report.json").read_text("utf-8"))
        validator.validate(report)
        assert report["interrupted"] is True and report["verdict"] == "error", where
        assert "interrupted" in report["verdict_text"]


def _console_commands() -> list[list[str]]:
    """``python -m inngest_conformance``, and the installed console script beside it."""
    script = Path(sys.executable).with_name("inngest-conformance")
    return [list(CLI), *([[str(script)]] if script.exists() else [])]


@pytest.mark.parametrize("delay", [0.1, 0.15, 0.2, 0.3, 0.45, 0.6])
def test_a_ctrl_c_while_the_command_starts_is_one_line_never_a_traceback(
    tmp_path: Path, delay: float
) -> None:
    """Importing the engine takes a moment: a Ctrl-C then (before the command line's own
    guard exists) ends the command as one later does, with 130 and one line."""
    for n, command in enumerate(_console_commands()):
        proc = subprocess.Popen(
            [*command, "certify", "--target", "inngest_conformance.reference:validator",
             "--profile", "quick", "--report-dir", f"r{n}"],
            cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        time.sleep(delay)
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=PROMPT)
        where = f"{command[-1]} after {delay} s: {proc.returncode} {stderr[-1500:]}"
        if "Fatal Python error: init_import_site" in stderr:
            continue  # the interpreter's own start-up, before any code of the kit runs
        assert "Traceback" not in stderr and "Exception ignored" not in stderr, where
        # Before the interpreter has its own handler, the signal's default ends it.
        assert proc.returncode in (130, -signal.SIGINT, 0), where
        if proc.returncode == 130:
            assert stderr.strip().splitlines()[-1].startswith("inngest-conformance: interrupted")
