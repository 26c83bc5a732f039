"""Helpers shared by the benchmark scripts: interleaved rounds, medians, tables, JSON.

Nothing is measured here.  The machine these run on is small (2 cores) and shared, so an
absolute rate means little from one minute to the next; every script therefore measures
its subject and a named baseline *in the same run*, alternating them round by round (the
order flips every round so a slow drift favours neither), and reports medians and the
median of the per-round ratios.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent

Measure = Callable[[int], dict[str, Any]]
"""One measurement: called with the round number, returns at least ``{"rate": float}``
(and optionally ``"show"``, the text printed for the round instead of the rate)."""


def interleave(rounds: int, arms: Mapping[str, Measure]) -> dict[str, list[dict[str, Any]]]:
    """Run every arm once per round, alternating the order, and collect each arm's results.

    Round 0 runs the arms in the given order, round 1 in reverse, and so on, so that a
    machine getting slower (or faster) during the run does not favour the arm that happens
    to go first.
    """
    names = list(arms)
    out: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    for r in range(rounds):
        order = names if r % 2 == 0 else names[::-1]
        for name in order:
            result = arms[name](r)
            out[name].append(result)
            shown = result.get("show") or fmt_rate(result["rate"])
            print(f"  round {r + 1}/{rounds} {name:<30} {shown}", flush=True)
    return out


def rates(results: Sequence[Mapping[str, Any]], key: str = "rate") -> list[float]:
    return [float(r[key]) for r in results]


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def paired_ratios(subject: Sequence[float], baseline: Sequence[float]) -> list[float]:
    """Per-round ``subject / baseline``: each ratio compares two runs made moments apart."""
    return [s / b for s, b in zip(subject, baseline, strict=True)]


def fmt_rate(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}/s"
    return f"{value:,.1f}/s"


def fmt_ratio(value: float) -> str:
    return f"{value:.2f}x"


def spread(values: Sequence[float]) -> str:
    """``min–max`` of a list of rates, to show how noisy the rounds were."""
    return f"{fmt_rate(min(values))}–{fmt_rate(max(values))}"


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain-text table, first column left-aligned and the others right-aligned."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        parts = [
            row[i].ljust(widths[i]) if i == 0 else row[i].rjust(widths[i]) for i in range(len(row))
        ]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule, *(line(row) for row in cells[1:])])


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    return {
        "date": date.today().isoformat(),
        "python": platform.python_version(),
        "cores": os.cpu_count(),
        "platform": platform.platform(terse=True),
    }


def emit(result: Mapping[str, Any]) -> None:
    """Print the machine-readable result as the script's last line."""
    sys.stdout.flush()
    print(json.dumps(result, sort_keys=True))
