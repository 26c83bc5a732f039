"""How long a requirement no case can be made for takes to end ("no case found").

Some requirements of a real schema cannot be broken alone: every near miss of the rule
breaks a second one (the schema of ``tests/test_solver.py``'s ``TYPE_ASKED_TWICE``, where a
property is asked for twice through an ``allOf``).  Before its search the engine makes a
few draws outside Hypothesis (the simplest choices, then ``PROBE_DRAWS`` seeded ones,
``Requirement.drawable``); when none makes a case, the requirement ends errored with why at
once.

Baseline, in the same rounds: the same requirement with those probes turned off, so that
Hypothesis's search runs and gives up after its budget of rejected draws, as it did before
the probes.  Both end in the same outcome (checked each round); the headline is the median
of the per-round ratios ``baseline seconds / probed seconds``.

    python benchmarks/bench_no_case.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any
from unittest import mock

import jsonschema
from _common import REPO_ROOT, emit, fmt_ratio, interleave, machine, median, paired_ratios, rates
from inngest_conformance._adapters import open_adapter
from inngest_conformance._planning import context
from inngest_conformance._requirements import Requirement
from inngest_conformance._run import certify_adapter

sys.path.insert(0, str(REPO_ROOT))
from tests.test_solver import TYPE_ASKED_TWICE

REQUIREMENT = "schema:rejects-wrong-type:/m/a"


def _ended(probes: bool) -> dict[str, Any]:
    ctx = context(TYPE_ASKED_TWICE)
    adapter = open_adapter(obj=jsonschema.Draft202012Validator(TYPE_ASKED_TWICE))
    started = time.perf_counter()
    try:
        with mock.patch.object(
            Requirement, "drawable", Requirement.drawable if probes else lambda *_: True
        ):
            report = certify_adapter(adapter, ctx=ctx, profile="quick", only=[REQUIREMENT]).report
    finally:
        adapter.close()
    seconds = time.perf_counter() - started
    (row,) = report["requirements"]
    assert row["outcome"] == "errored", row
    assert row["message"].startswith("no case found: "), row["message"]
    return {"rate": 1 / seconds, "seconds": seconds, "show": f"{seconds:.2f} s"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(f"{REQUIREMENT} of TYPE_ASKED_TWICE at quick, {args.rounds} rounds")
    runs = interleave(
        args.rounds,
        {
            "probed (the kit)": lambda _: _ended(True),
            "search only (baseline)": lambda _: _ended(False),
        },
    )
    probed = rates(runs["probed (the kit)"], "seconds")
    searched = rates(runs["search only (baseline)"], "seconds")
    ratio = median(paired_ratios(searched, probed))
    print(
        f"median {median(probed):.2f} s probed, {median(searched):.2f} s search only: "
        f"the probes end it {fmt_ratio(ratio)} sooner"
    )
    emit(
        {
            "benchmark": "no_case",
            "machine": machine(),
            "requirement": REQUIREMENT,
            "seconds": {"probed": median(probed), "search_only": median(searched)},
            "speedup_vs_search_only": ratio,
        }
    )


if __name__ == "__main__":
    main()
