"""One timed generation run inside ``@given``, in whatever interpreter runs this file.

``bench_runs.py`` starts this script as a child process, once per arm and round: with the
project's interpreter for ``strategies.runs()``, and with the baseline venv's interpreter
(Hypothesis 6.170.9) for ``hypothesis_jsonschema.from_schema``.  Measured: records per
second of a ``@given`` test whose body only keeps the record, with ``max_examples=N``,
``database=None``, no deadline and every health check suppressed, after an untimed warm-up
run of the same strategy.  Variety (statuses, optional properties, distinct records) is
counted afterwards, outside the timed region.

It imports nothing from the benchmarks folder and, for ``from_schema``, nothing from the
project either, so it runs unchanged in the baseline venv.  Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from typing import Any

import hypothesis
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st


def build(generator: str, schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    if generator == "runs":
        from inngest_conformance.strategies import runs

        return runs(schema)
    if generator == "from_schema":
        from hypothesis_jsonschema import from_schema

        return from_schema(schema)
    raise SystemExit(f"unknown generator {generator!r}")


def run_given(strategy: st.SearchStrategy[Any], n: int, run_seed: int) -> list[Any]:
    """Run a do-nothing ``@given`` test for ``n`` examples; return what it was given."""
    seen: list[Any] = []

    @seed(run_seed)
    @settings(
        max_examples=n,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def test(record: Any) -> None:
        seen.append(record)

    test()
    return seen


def variety(schema: dict[str, Any], records: list[Any]) -> dict[str, Any]:
    """Fractions of each enum value and of each optional property present."""
    props: dict[str, Any] = schema.get("properties", {})
    required = set(schema.get("required", ()))
    n = max(1, len(records))
    enums: dict[str, dict[str, float]] = {}
    for name, sub in props.items():
        if isinstance(sub, dict) and "enum" in sub:
            counts = Counter(r.get(name) for r in records if isinstance(r, dict))
            enums[name] = {str(v): counts.get(v, 0) / n for v in sub["enum"]}
    optional = {
        name: sum(1 for r in records if isinstance(r, dict) and name in r) / n
        for name in props
        if name not in required
    }
    distinct = len({json.dumps(r, sort_keys=True, default=repr) for r in records})
    all_optional = sum(
        1 for r in records if isinstance(r, dict) and all(name in r for name in optional)
    )
    no_optional = sum(
        1 for r in records if isinstance(r, dict) and not any(name in r for name in optional)
    )
    return {
        "enum": enums,
        "optional": optional,
        "distinct": distinct / n,
        "all_optional": all_optional / n,
        "no_optional": no_optional / n,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--generator", choices=("runs", "from_schema"), required=True)
    parser.add_argument("--schema", required=True, help="path of the run schema (JSON)")
    parser.add_argument("--n", type=int, required=True, help="max_examples of the timed run")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--warmup", type=int, default=20, help="max_examples of the warm-up")
    args = parser.parse_args()

    with open(args.schema, encoding="utf-8") as fh:
        schema = json.load(fh)
    strategy = build(args.generator, schema)
    if args.warmup:
        run_given(strategy, args.warmup, args.seed + 1_000_003)
    t0 = time.perf_counter()
    records = run_given(strategy, args.n, args.seed)
    seconds = time.perf_counter() - t0
    print(
        json.dumps(
            {
                "generator": args.generator,
                "hypothesis": hypothesis.__version__,
                "records": len(records),
                "seconds": seconds,
                "rate": len(records) / seconds,
                "variety": variety(schema, records),
            }
        )
    )


if __name__ == "__main__":
    main()
