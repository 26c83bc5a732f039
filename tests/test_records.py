"""Tests for :mod:`.strategies._records` and the ``runs()`` strategy: every record is valid,
and the values are worth testing with."""

from __future__ import annotations

import copy
import importlib.resources
import json
import re
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from inngest_conformance.strategies import runs
from inngest_conformance.strategies._oracle import Oracle, default_oracle
from inngest_conformance.strategies._records import gen_record
from inngest_conformance.strategies._rfc3339 import COMMON_DATETIME, datetime_error, utc_key
from inngest_conformance.strategies._schema import RunSchema, default_schema, schema_from_dict
from inngest_conformance.strategies._source import RandomSource
from inngest_conformance.strategies._values import (
    ADVERSARIAL_STRINGS,
    CROCKFORD,
    WORDS,
    faker_words,
    gen_json,
    gen_object,
    gen_ulid,
    gen_uuid,
    ulid,
)

MANY = settings(max_examples=1500, database=None, deadline=None)
SOME = settings(max_examples=300, database=None, deadline=None)

ULID = re.compile(r"[0-7][0-9A-HJKMNP-TV-Z]{25}")
UUID4 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


def document() -> dict[str, Any]:
    text = importlib.resources.files("inngest_conformance.strategies").joinpath(
        "data/inngest-run.schema.json"
    )
    return copy.deepcopy(json.loads(text.read_text()))


def records(n: int, schema: RunSchema | None = None, seed: int = 0, **kw: Any) -> Iterator[Any]:
    """``n`` records from one seeded source, as fixtures draw them."""
    src = RandomSource(seed)
    s = schema or default_schema()
    for _ in range(n):
        yield gen_record(src, s, **kw)


def depth(value: Any) -> int:
    """Levels of container nesting: 0 for a scalar."""
    if isinstance(value, dict):
        return 1 + max((depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((depth(v) for v in value), default=0)
    return 0


def width(value: Any) -> int:
    """The most members of any container inside ``value``."""
    if isinstance(value, dict):
        return max(len(value), *(width(v) for v in value.values()), 0)
    if isinstance(value, list):
        return max(len(value), *(width(v) for v in value), 0)
    return 0


def string_values(record: dict[str, Any]) -> Iterator[str]:
    for spec in default_schema().properties:
        value = record.get(spec.name)
        if isinstance(value, str) and spec.enum is None and spec.format is None:
            yield value


def is_control(c: str) -> bool:
    return ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F


# ---------------------------------------------------------------------------------------
# Every record is valid
# ---------------------------------------------------------------------------------------


@MANY
@given(runs())
def test_runs_are_valid(record: dict[str, Any]) -> None:
    assert default_oracle().errors(record) == []


@pytest.mark.slow
@settings(max_examples=1500, database=None, deadline=None)
@given(runs(common_datetimes=True))
def test_common_datetimes_are_common_form(record: dict[str, Any]) -> None:
    assert default_oracle().is_valid(record)
    for name in default_schema().datetime_properties:
        if name in record:
            assert COMMON_DATETIME.fullmatch(record[name]), record[name]
            assert datetime_error(record[name]) is None


def test_raw_generator_is_valid_for_thousands_of_seeds() -> None:
    oracle, schema = default_oracle(), default_schema()
    for seed in range(5000):
        record = gen_record(RandomSource(seed), schema)
        assert oracle.is_valid(record), (seed, oracle.errors(record))


def test_raw_generator_common_datetimes_for_thousands_of_seeds() -> None:
    oracle, schema = default_oracle(), default_schema()
    for seed in range(3000):
        record = gen_record(RandomSource(seed), schema, common_datetimes=True)
        assert oracle.is_valid(record), (seed, oracle.errors(record))
        for name in schema.datetime_properties:
            if name in record:
                assert COMMON_DATETIME.fullmatch(record[name]), (seed, record[name])


def test_records_are_json_round_trippable() -> None:
    for record in records(2000, seed=11):
        text = json.dumps(record, allow_nan=False, ensure_ascii=False)
        text.encode("utf-8")  # no lone surrogates
        assert json.loads(text) == record


def test_with_optional_forces_presence_and_absence() -> None:
    schema = default_schema()
    for seed in range(500):
        full = gen_record(RandomSource(seed), schema, with_optional=True)
        assert set(full) == {p.name for p in schema.properties}
        bare = gen_record(RandomSource(seed), schema, with_optional=False)
        assert set(bare) == set(schema.required)
        assert default_oracle().is_valid(full)
        assert default_oracle().is_valid(bare)


def test_started_at_never_after_ended_at() -> None:
    both = 0
    for record in records(5000, seed=3):
        if "started_at" in record and "ended_at" in record:
            both += 1
            assert utc_key(record["ended_at"]) >= utc_key(record["started_at"]), record
    assert both > 500


@pytest.mark.slow
@settings(max_examples=1000, database=None, deadline=None)
@given(runs())
def test_started_at_never_after_ended_at_under_hypothesis(record: dict[str, Any]) -> None:
    if "started_at" in record and "ended_at" in record:
        assert utc_key(record["ended_at"]) >= utc_key(record["started_at"])


# ---------------------------------------------------------------------------------------
# Coverage within a fixed budget
# ---------------------------------------------------------------------------------------


def test_coverage_within_budget() -> None:
    schema = default_schema()
    statuses: Counter[str] = Counter()
    present: Counter[str] = Counter()
    absent: Counter[str] = Counter()
    seen = Counter[str]()
    max_depth = max_width = 0
    for record in records(3000, seed=1):
        statuses[record["status"]] += 1
        for name in schema.optional:
            (present if name in record else absent)[name] += 1
        for value in string_values(record):
            seen["empty"] += value == ""
            seen["control"] += any(is_control(c) for c in value)
            seen["non-bmp"] += any(ord(c) > 0xFFFF for c in value)
            seen["nul"] += "\x00" in value
            seen["long"] += len(value) >= 10_000
        for name in ("run_id", "function_id", "app_id", "event_id"):
            value = record.get(name)
            if isinstance(value, str):
                seen["ulid"] += bool(ULID.fullmatch(value))
                seen["uuid"] += bool(UUID4.fullmatch(value))
                seen["prefixed"] += bool(re.fullmatch(r"[a-z]+_" + ULID.pattern, value))
        if "output" in record:
            max_depth = max(max_depth, depth(record["output"]))
            max_width = max(max_width, width(record["output"]))
            seen["empty-output"] += record["output"] == {}
    assert set(statuses) == set(schema.statuses)
    for name in schema.optional:
        assert present[name] > 0, name
        assert absent[name] > 0, name
    for what in ("empty", "control", "non-bmp", "nul", "long", "ulid", "uuid", "prefixed"):
        assert seen[what] > 0, what
    assert seen["empty-output"] > 0
    assert max_depth >= 10
    assert max_width >= 20


def test_status_distribution_is_uniform_enough() -> None:
    statuses = Counter(record["status"] for record in records(6000, seed=7))
    assert set(statuses) == set(default_schema().statuses)
    for status, count in statuses.items():
        assert 0.10 <= count / 6000 <= 0.25, (status, count)


def test_optional_properties_about_half_the_time() -> None:
    present = Counter[str]()
    for record in records(4000, seed=5):
        present.update(k for k in record if k in default_schema().optional)
    for name in default_schema().optional:
        assert 0.4 <= present[name] / 4000 <= 0.6, (name, present[name])


def test_every_json_type_appears_inside_outputs() -> None:
    kinds: set[str] = set()

    def walk(value: Any) -> None:
        kinds.add(type(value).__name__)
        if isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    for record in records(2000, seed=9):
        if "output" in record:
            walk(record["output"])
    assert kinds == {"NoneType", "bool", "int", "float", "str", "list", "dict"}


def test_shrinks_to_required_properties_first_status_empty_strings() -> None:
    smallest = find(runs(), lambda r: True, settings=settings(database=None))
    assert smallest == {"run_id": "", "function_id": "", "status": "QUEUED"}


# ---------------------------------------------------------------------------------------
# The building blocks
# ---------------------------------------------------------------------------------------


def test_ulid_encoding() -> None:
    assert ulid(0, 0) == "0" * 26
    assert ulid(2**48 - 1, 2**80 - 1) == "7" + "Z" * 25
    assert ulid(1, 0) == "0" * 9 + "1" + "0" * 16
    assert len(set(CROCKFORD)) == 32
    assert not set("ILOU") & set(CROCKFORD)


def test_gen_ulid_is_a_recent_ulid() -> None:
    for seed in range(500):
        value = gen_ulid(RandomSource(seed))
        assert ULID.fullmatch(value)
        n = 0
        for c in value:
            n = n * 32 + CROCKFORD.index(c)
        ms = n >> 80
        assert 1_546_300_800_000 <= ms <= 1_830_211_200_000


def test_gen_uuid_is_version_4() -> None:
    for seed in range(500):
        value = gen_uuid(RandomSource(seed))
        assert UUID4.fullmatch(value)
        parsed = uuid.UUID(value)
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122
        assert str(parsed) == value


def test_gen_json_respects_kinds_and_depth() -> None:
    src = RandomSource(4)
    expected = {"null": type(None), "boolean": bool, "string": str, "array": list, "object": dict}
    for _ in range(300):
        for kind, cls in expected.items():
            assert type(gen_json(src, kinds=(kind,))) is cls
        assert type(gen_json(src, kinds=("integer",))) is int
        assert type(gen_json(src, kinds=("number",))) is float
        assert depth(gen_json(src, depth=0)) == 0


def test_gen_object_at_depth_zero_is_empty() -> None:
    src = RandomSource(2)
    assert all(gen_object(src, depth=0) == {} for _ in range(50))


def test_adversarial_strings_are_plain_strings() -> None:
    assert "" in ADVERSARIAL_STRINGS
    assert all(isinstance(s, str) for s in ADVERSARIAL_STRINGS)
    assert all(w.isascii() and w.isalpha() for w in WORDS)


# ---------------------------------------------------------------------------------------
# Derived from the schema
# ---------------------------------------------------------------------------------------


def test_one_more_status_is_generated_and_valid() -> None:
    doc = document()
    doc["properties"]["status"]["enum"].append("SCHEDULED")
    schema = schema_from_dict(doc)
    oracle = Oracle(schema)
    statuses = Counter[str]()
    for record in records(1500, schema):
        assert oracle.is_valid(record)
        statuses[record["status"]] += 1
    assert statuses["SCHEDULED"] > 100
    assert oracle.is_valid({"run_id": "r", "function_id": "f", "status": "SCHEDULED"})
    assert not default_oracle().is_valid({"run_id": "r", "function_id": "f", "status": "SCHEDULED"})


def test_one_more_required_property_is_always_present() -> None:
    doc = document()
    doc["properties"]["attempt"] = {"type": "integer"}
    doc["required"].append("attempt")
    schema = schema_from_dict(doc)
    oracle = Oracle(schema)
    for record in records(1500, schema):
        assert isinstance(record["attempt"], int)
        assert not isinstance(record["attempt"], bool)
        assert oracle.is_valid(record)


@SOME
@given(runs(schema={**document(), "required": [*document()["required"], "event_id"]}))
def test_runs_follows_a_schema_document(record: dict[str, Any]) -> None:
    assert "event_id" in record


def test_property_made_optional_is_sometimes_absent() -> None:
    doc = document()
    doc["required"].remove("function_id")
    schema = schema_from_dict(doc)
    oracle = Oracle(schema)
    seen = Counter[bool]()
    for record in records(1000, schema):
        assert oracle.is_valid(record)
        seen["function_id" in record] += 1
    assert seen[True] > 300
    assert seen[False] > 300


def test_removed_property_is_never_generated_and_is_unknown() -> None:
    doc = document()
    del doc["properties"]["event_id"]
    schema = schema_from_dict(doc)
    oracle = Oracle(schema)
    for record in records(1500, schema, with_optional=None):
        assert "event_id" not in record
        assert oracle.is_valid(record)
    bad = {"run_id": "r", "function_id": "f", "status": "QUEUED", "event_id": "e"}
    assert default_oracle().is_valid(bad)
    assert [(e.keyword, e.path) for e in oracle.errors(bad)] == [
        ("additionalProperties", "/event_id")
    ]


def test_additional_properties_true_adds_extras_sometimes() -> None:
    doc = document()
    doc["additionalProperties"] = True
    schema = schema_from_dict(doc)
    oracle = Oracle(schema)
    known = {p.name for p in schema.properties}
    extras = 0
    for record in records(1500, schema):
        assert oracle.is_valid(record)
        extras += bool(set(record) - known)
    assert 100 < extras < 600


def test_other_property_types_are_generated_validly() -> None:
    doc = document()
    doc["properties"].update(
        {
            "count": {"type": "integer"},
            "ratio": {"type": "number"},
            "flag": {"type": "boolean"},
            "tags": {"type": "array"},
            "nothing": {"type": "null"},
            "maybe": {"type": ["string", "null"]},
            "anything": {},
            "kind": {"enum": ["a", 1, None, [1], {"k": "v"}]},
            "when": {"format": "date-time"},
        }
    )
    doc["required"].extend(["count", "ratio", "flag", "tags", "nothing", "maybe", "anything"])
    schema = schema_from_dict(doc)
    oracle = Oracle(schema)
    for record in records(2000, schema):
        assert oracle.is_valid(record), oracle.errors(record)


@pytest.mark.slow
def test_extra_property_never_overwrites_a_schema_property() -> None:
    """With ``additionalProperties: true`` an extra ``x_<word>`` property is added; it must
    not replace a property the schema defines under that name with a value of any type."""
    doc = document()
    doc["additionalProperties"] = True
    doc["properties"].update({"x_" + w: {"type": "integer"} for w in WORDS})
    schema = schema_from_dict(doc)
    oracle = Oracle(schema)
    for seed in range(200):
        record = gen_record(RandomSource(seed), schema, with_optional=False)
        assert oracle.is_valid(record), (seed, oracle.errors(record))


# ---------------------------------------------------------------------------------------
# runs() arguments
# ---------------------------------------------------------------------------------------


@pytest.mark.slow
def test_runs_accepts_a_schema_path(tmp_path: Path) -> None:
    doc = document()
    doc["properties"]["status"]["enum"] = ["SCHEDULED"]
    path = tmp_path / "schema.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    record = find(runs(str(path)), lambda r: True, settings=settings(database=None))
    assert record["status"] == "SCHEDULED"
    record = find(runs(path), lambda r: True, settings=settings(database=None))
    assert record["status"] == "SCHEDULED"


def test_runs_rejects_a_schema_of_the_wrong_kind() -> None:
    with pytest.raises(InvalidArgument, match="schema="):
        runs(schema=5)  # type: ignore[arg-type]


@pytest.mark.slow
def test_raw_generator_is_valid_for_twenty_five_thousand_seeds() -> None:
    oracle, schema = default_oracle(), default_schema()
    for seed in range(25_000):
        record = gen_record(RandomSource(seed), schema, common_datetimes=seed % 2 == 0)
        assert oracle.is_valid(record), (seed, oracle.errors(record))


@pytest.mark.slow
@given(st.integers(0, 2**48 - 1), st.integers(0, 2**80 - 1))
@settings(max_examples=2000, database=None)
def test_ulid_is_the_crockford_base32_of_time_and_entropy(ms: int, entropy: int) -> None:
    from inngest_conformance.strategies._records import CROCKFORD, ulid

    n = (ms << 80) | entropy
    expected = "".join(CROCKFORD[(n >> (5 * i)) & 31] for i in range(25, -1, -1))
    assert ulid(ms, entropy) == expected
    assert len(expected) == 26 and set(expected) <= set(CROCKFORD)


def test_the_word_list_is_fakers_without_importing_faker() -> None:
    """Slugs come from Faker's English word list, read from its source file: the same
    words the import gives, in the same order, and a fresh process that generates a record
    never builds Faker's locale table."""
    from faker.providers.lorem.en_US import Provider

    assert faker_words() == tuple(Provider.word_list)
    assert WORDS and all(w.isascii() and w.isalpha() for w in WORDS)
    code = (
        "import sys; from inngest_conformance.strategies import runs; "
        "runs().example(); print('faker' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
