"""The oracle's fast path decides exactly as the general validator does, and finds the
same errors (where, and by which keyword)."""

from __future__ import annotations

import copy
import json
from importlib import resources
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from inngest_conformance.strategies import RandomSource, default_schema, schema_from_dict
from inngest_conformance.strategies._invalid import gen_invalid
from inngest_conformance.strategies._oracle import Oracle
from inngest_conformance.strategies._records import gen_json, gen_record


def _document() -> dict[str, Any]:
    text = (
        resources.files("inngest_conformance.strategies")
        .joinpath("data/inngest-run.schema.json")
        .read_text()
    )
    doc: dict[str, Any] = json.loads(text)
    return doc


def _wide_schema() -> Any:
    """Every JSON type, numeric and boolean enums, open objects: the fast path's corners."""
    doc = _document()
    doc["additionalProperties"] = True
    doc["properties"].update(
        {
            "attempt": {"type": "integer"},
            "ratio": {"type": "number"},
            "flag": {"type": "boolean"},
            "tags": {"type": "array"},
            "none": {"type": "null"},
            "either": {"type": ["string", "null"]},
            "level": {"enum": [1, 2.5, True, None, "x", [1, {"a": False}], {"k": [0]}]},
            "anything": {},
        }
    )
    doc["required"] = [*doc["required"], "attempt"]
    return schema_from_dict(doc)


SCHEMAS = {"run": default_schema(), "wide": _wide_schema()}
AWKWARD: tuple[Any, ...] = (
    0,
    1,
    1.0,
    1.5,
    -0.0,
    True,
    False,
    None,
    "",
    "1",
    [],
    [1],
    {},
    {"a": False},
    [1, {"a": False}],
    [1, {"a": 0}],
    {"k": [0]},
    {"k": [False]},
    2.5,
    1e308,
)


def _mutants(src: RandomSource, schema: Any) -> Any:
    record = gen_record(src, schema)
    for _ in range(src.integer(0, 3)):
        name = src.choice([p.name for p in schema.properties] + ["extra", "runId"])
        roll = src.integer(0, 3)
        if roll == 0:
            record.pop(name, None)
        elif roll == 1:
            record[name] = src.choice(AWKWARD)
        else:
            record[name] = gen_json(src, depth=2)
    return record


def _keys(oracle: Oracle, doc: Any) -> list[tuple[str, str]]:
    """Where and by which keyword the general validator rejects ``doc``."""
    return sorted({(e.path, e.keyword) for e in oracle.errors(doc)})


@pytest.mark.slow
@pytest.mark.parametrize("which", sorted(SCHEMAS))
def test_fast_path_agrees_on_generated_documents(which: str) -> None:
    schema = SCHEMAS[which]
    oracle = Oracle(schema)
    checked = {True: 0, False: 0}
    for seed in range(6000):
        src = RandomSource(seed)
        for doc in (
            gen_record(src, schema),
            gen_invalid(src, schema).record,
            _mutants(src, schema),
            gen_json(src, depth=3),
        ):
            verdict = oracle.is_valid(doc)
            assert oracle.fast_is_valid(doc) == verdict, doc
            assert oracle.fast_error_keys(doc) == _keys(oracle, doc), doc
            checked[verdict] += 1
    assert min(checked.values()) > 5000  # both verdicts well exercised


@pytest.mark.slow
@settings(max_examples=1000, database=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_fast_path_agrees_on_arbitrary_json(data: st.DataObject) -> None:
    schema = SCHEMAS[data.draw(st.sampled_from(sorted(SCHEMAS)))]
    oracle = Oracle(schema)
    json_values = st.recursive(
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=False)
        | st.text(max_size=5)
        | st.sampled_from(AWKWARD),
        lambda inner: (
            st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
        ),
        max_leaves=8,
    )
    base = copy.deepcopy(gen_record(RandomSource(data.draw(st.integers(0, 10**6))), schema))
    overrides = data.draw(
        st.dictionaries(
            st.sampled_from([p.name for p in schema.properties]), json_values, max_size=3
        )
    )
    doc = {**base, **overrides}
    assert oracle.fast_is_valid(doc) == oracle.is_valid(doc), doc
    assert oracle.fast_error_keys(doc) == _keys(oracle, doc), doc
