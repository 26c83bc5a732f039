"""Formats JSON Schema does not define: OpenAPI's ``int32`` and ``int64``.

Draft 2020-12 ignores a format outside its vocabulary, format assertion on or off, so a
validator of the dialect accepts ``ts = 2^63`` in the event schema (``"format": "int64"``).
The kit asserts those formats only under a reading of its own (``openapi-format``): the
requirement is a SHOULD, and every case or fixture row invalid only under the reading
says so (``"reading"`` in its violation).  Checked where a user meets it: jsonschema-rs
certified through the CLI, fixture files checked by python-jsonschema and jsonschema-rs,
the ``validate`` command, one case put again (``check_case``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import jsonschema_rs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from inngest_conformance._requirements import catalogue
from inngest_conformance.errors import SchemaError
from inngest_conformance.reference import ReferenceValidator
from inngest_conformance.strategies import (
    InvalidCase,
    Oracle,
    default_schema,
    invalid_runs,
    load_schema,
    schema_from_dict,
    targets,
)
from inngest_conformance.strategies._formats import (
    DIALECT_FORMATS,
    INTEGER_FORMATS,
    NEAR_MISSES,
    OPENAPI_FORMAT,
    READINGS,
    STRING_FORMATS,
    SUPPORTED_FORMATS,
)
from inngest_conformance.strategies._invalid import variants
from inngest_conformance.strategies._records import gen_record
from inngest_conformance.strategies._source import RandomSource
from inngest_conformance.testing import check_case

from tests.common import ROOT, run_cli

EXAMPLES = ROOT / "examples" / "schemas"
EVENT_PATH = EXAMPLES / "event.schema.json"
EVENT_DOC = json.loads(EVENT_PATH.read_text())
EVENT = load_schema(str(EVENT_PATH))
OUT_OF_RANGE = "format:rejects-out-of-range-for-format:/ts"
TARGET = "tests.fakes.third_party:event_jsonschema_rs"

#: The formats python-jsonschema's own checker leaves unchecked without optional packages
#: (``date-time``, ``time``, ``uri``) or checks loosely (``email``: has an ``@``): a row
#: breaking one is checked against jsonschema-rs alone.
LOOSE_IN_PYTHON_JSONSCHEMA = {"date-time", "time", "uri", "email"}


def python_jsonschema(document: dict[str, Any]) -> Any:
    """python-jsonschema with format checks on, as a user turns them on."""
    return jsonschema.Draft202012Validator(
        document, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def jsonschema_rs_of(document: dict[str, Any]) -> Any:
    return jsonschema_rs.validator_for(document, validate_formats=True)


def event(ts: int) -> dict[str, Any]:
    return {"name": "app/user.signup", "data": {}, "ts": ts}


def test_the_kit_asserts_only_dialect_formats_but_under_a_reading() -> None:
    assert set(STRING_FORMATS) <= DIALECT_FORMATS
    read = {fmt for r in READINGS.values() for fmt in r.formats}
    assert read == set(INTEGER_FORMATS) == {"int32", "int64"}
    assert not read & DIALECT_FORMATS
    assert set(SUPPORTED_FORMATS) == set(STRING_FORMATS) | read


@pytest.mark.parametrize("fmt", sorted(STRING_FORMATS))
def test_each_string_format_is_judged_as_jsonschema_rs_judges_it(fmt: str) -> None:
    """Every near miss of a format is malformed to the oracle and to jsonschema-rs with
    format assertion on, and every value drawn for it (300 draws, plain and free) is
    well-formed to both."""
    document = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "required": ["x"],
        "properties": {"x": {"type": "string", "format": fmt}},
    }
    oracle, rs = Oracle(schema_from_dict(document)), jsonschema_rs_of(document)
    # date-time's near misses are the malformed date-times (tests/test_datetimes.py).
    for detail, miss in NEAR_MISSES.get(fmt, {}).items():
        assert STRING_FORMATS[fmt](str(miss)) is not None, detail
        assert not oracle.is_valid({"x": miss}) and not rs.is_valid({"x": miss}), detail
    schema = schema_from_dict(document)
    drawn = set()
    for seed in range(150):
        for plain in (True, False):
            record = gen_record(RandomSource(seed), schema, plain=plain, common_datetimes=plain)
            assert oracle.is_valid(record) and rs.is_valid(record), record
            drawn.add(record["x"])
    assert len(drawn) > 3


@settings(max_examples=300, deadline=None)
@given(
    st.integers(-(2**70), 2**70)
    | st.sampled_from([0, -1, 2**63 - 1, 2**63, 2**64, -(2**63), -(2**63) - 1])
)
def test_an_int64_is_judged_as_the_dialect_judges_it_unless_the_reading_is_asked(n: int) -> None:
    """The oracle's 'valid' is the dialect's, as python-jsonschema's and jsonschema-rs's
    with format assertion: ``minimum: 0`` alone decides; under the reading the range of
    int64 does too."""
    record = event(n)
    oracle = Oracle(EVENT)
    assert oracle.is_valid(record) == (n >= 0)
    assert oracle.is_valid(record) == python_jsonschema(EVENT_DOC).is_valid(record)
    assert oracle.is_valid(record) == jsonschema_rs_of(EVENT_DOC).is_valid(record)
    assert oracle.is_valid(record, reading=OPENAPI_FORMAT) == (0 <= n <= 2**63 - 1)
    assert ReferenceValidator(oracle)(record).valid == (0 <= n <= 2**63 - 1)


@settings(max_examples=300, deadline=None)
@given(invalid_runs(EVENT))
def test_a_case_without_a_reading_is_invalid_to_the_dialect_and_one_with_it_is_valid(
    case: InvalidCase,
) -> None:
    v = case.violation
    if v.reading is None:
        assert not jsonschema_rs_of(EVENT_DOC).is_valid(case.record), case
        return
    assert (v.reading, v.rule, v.detail) == (OPENAPI_FORMAT, "out-of-range-for-format", "above")
    assert python_jsonschema(EVENT_DOC).is_valid(case.record)
    assert jsonschema_rs_of(EVENT_DOC).is_valid(case.record)
    assert not Oracle(EVENT).is_valid(case.record, reading=OPENAPI_FORMAT)
    assert case.violation.to_json()["reading"] == OPENAPI_FORMAT


def test_the_requirement_of_a_format_outside_the_dialect_is_a_should() -> None:
    keywords = {r.id: r.keyword for r in catalogue(EVENT, role="validator")}
    assert keywords.pop(OUT_OF_RANGE) == "SHOULD"
    assert set(keywords.values()) == {"MUST"}
    # The run schema has no such format: every validator requirement stays a MUST.
    assert {r.keyword for r in catalogue(default_schema(), role="validator")} == {"MUST"}


def _record_schema(x: dict[str, Any]) -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "required": ["x"],
        "properties": {"x": x},
    }


@pytest.mark.parametrize(
    "x, details",
    [
        ({"type": "integer", "format": "int32"}, {"above": 2**31, "below": -(2**31) - 1}),
        ({"type": "integer", "minimum": 0, "format": "int64"}, {"above": 2**63}),
        ({"type": "integer", "maximum": 5, "format": "int32"}, {"below": -(2**31) - 1}),
        (
            {"type": "integer", "multipleOf": 10, "format": "int32"},
            {"above": 2**31 + 2, "below": -(2**31) - 2},
        ),
        ({"type": "integer", "minimum": 0, "maximum": 100, "format": "int32"}, {}),
    ],
)
def test_a_side_of_the_range_the_nodes_own_bounds_close_has_no_case(
    x: dict[str, Any], details: dict[str, int]
) -> None:
    """A case of the reading is valid to the dialect: one past an end the node's bounds
    allow (the next multiple, under multipleOf); where its bounds imply the range, the
    format asks nothing and there is no requirement."""
    schema = schema_from_dict(_record_schema(x))
    found = [t for t in targets(schema) if t.rule == "out-of-range-for-format"]
    ids = [r.id for r in catalogue(schema)]
    assert ("format:rejects-out-of-range-for-format:/x" in ids) == bool(details)
    if not details:
        assert found == []
        return
    (target,) = found
    cases = variants(schema, target, Oracle(schema))
    assert {c.violation.detail: c.record["x"] for c in cases} == details
    assert all(c.violation.reading == OPENAPI_FORMAT for c in cases)


@st.composite
def integer_formats(draw: st.DrawFn) -> dict[str, Any]:
    """An integer subschema with an OpenAPI format and bounds of any kind, some past its
    range, some inside it."""
    fmt = draw(st.sampled_from(sorted(INTEGER_FORMATS)))
    lo, hi = INTEGER_FORMATS[fmt]
    lower = st.sampled_from([lo - 5, lo - 1, lo, lo + 1, -1, 0])
    upper = st.sampled_from([2, 100, hi - 1, hi, hi + 1, hi + 5])
    x: dict[str, Any] = {"type": draw(st.sampled_from(["integer", "number"])), "format": fmt}
    for keyword, values in (
        ("minimum", lower),
        ("maximum", upper),
        ("exclusiveMinimum", lower),
        ("exclusiveMaximum", upper),
    ):
        if draw(st.booleans()):
            x[keyword] = draw(values)
    if draw(st.booleans()):
        x["multipleOf"] = draw(st.sampled_from([1, 3, 10, 1000, 2.5]))
    return x


@settings(max_examples=80, deadline=None)
@given(integer_formats())
def test_every_case_of_an_openapi_format_is_valid_to_the_dialect(x: dict[str, Any]) -> None:
    """Whatever bounds sit beside the format: every directed case of the reading is valid
    to jsonschema-rs and python-jsonschema and invalid under the reading, its requirement a
    SHOULD; and there is a requirement exactly where such a case exists."""
    document = _record_schema(x)
    try:
        schema = schema_from_dict(document)
    except SchemaError:  # bounds no value meets: refused up front, as the documentation says
        return
    oracle, pj, rs = Oracle(schema), python_jsonschema(document), jsonschema_rs_of(document)
    found = [t for t in targets(schema) if t.rule == "out-of-range-for-format"]
    keywords = {r.id: r.keyword for r in catalogue(schema)}
    assert keywords.get("format:rejects-out-of-range-for-format:/x") == (
        "SHOULD" if found else None
    )
    lo, hi = INTEGER_FORMATS[x["format"]]
    past = [*range(hi + 1, hi + 3000), *range(lo - 3000, lo)]
    if isinstance(x.get("multipleOf", 1), int):  # a fractional one: no case is asked
        assert bool(found) == any(rs.is_valid({"x": v}) for v in past), x
    for target in found:
        cases = variants(schema, target, oracle)
        assert cases, x
        for case in cases:
            assert case.violation.reading == OPENAPI_FORMAT
            assert pj.is_valid(case.record) and rs.is_valid(case.record), case
            assert not oracle.is_valid(case.record, reading=OPENAPI_FORMAT), case


def _failed(report: dict[str, Any]) -> dict[str, str]:
    return {r["id"]: r["keyword"] for r in report["requirements"] if r["outcome"] == "failed"}


@pytest.mark.slow
def test_jsonschema_rs_certified_on_the_event_schema_fails_no_must(tmp_path: Path) -> None:
    """jsonschema-rs with ``validate_formats=True`` ignores ``int64`` as the dialect says:
    conformant, its acceptance of 2^63 a SHOULD warning whose violation names the reading."""
    result = run_cli(
        tmp_path, "certify", "--target", TARGET, "--schema", str(EVENT_PATH), "--profile", "quick"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "verdict: conformant, 1 SHOULD warning" in result.stdout
    report = json.loads((tmp_path / "reports" / "report.json").read_text())
    assert report["verdict"] == "conformant"
    assert report["levels"]["format"] == "passed"
    assert _failed(report) == {OUT_OF_RANGE: "SHOULD"}
    (row,) = (r for r in report["requirements"] if r["id"] == OUT_OF_RANGE)
    assert row["counterexample"]["ts"] == 2**63
    assert row["expected"]["violation"]["reading"] == OPENAPI_FORMAT
    assert "openapi-format reading" in row["message"]


def test_the_reference_passes_the_readings_requirement(tmp_path: Path) -> None:
    result = run_cli(
        tmp_path,
        "certify",
        "--target",
        "inngest_conformance.reference:validator",
        "--schema",
        str(EVENT_PATH),
        "--profile",
        "quick",
        "--requirement",
        OUT_OF_RANGE,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads((tmp_path / "reports" / "report.json").read_text())
    assert [(r["id"], r["outcome"]) for r in report["requirements"]] == [(OUT_OF_RANGE, "passed")]


def _format_of(document: dict[str, Any], schema_path: str) -> Any:
    """The value at ``schema_path`` (a JSON pointer) of ``document``."""
    at: Any = document
    for token in schema_path.split("/")[1:]:
        token = token.replace("~1", "/").replace("~0", "~")
        at = at[int(token)] if isinstance(at, list) else at[token]
    return at


@pytest.mark.parametrize(
    "name",
    ["event", *(pytest.param(n, marks=pytest.mark.slow) for n in ("function", "span", "run"))],
)
def test_every_unmarked_invalid_fixture_row_is_rejected_by_standard_validators(
    tmp_path: Path, name: str
) -> None:
    """The rows ``fixtures`` writes, judged by validators of the dialect with format
    assertion on: every valid row is accepted by both; every invalid row without a
    ``reading`` is rejected by jsonschema-rs, and by python-jsonschema unless it breaks a
    format python-jsonschema checks loosely or not at all; every row with one is accepted
    by both and is invalid under the kit's reading."""
    path = ROOT / "strategies/data/inngest-run.schema.json" if name == "run" else None
    path = path or EXAMPLES / f"{name}.schema.json"
    document = json.loads(path.read_text())
    args = ["--valid", "100", "--invalid", "600", "--seed", "1", "--out", "fx"]
    result = run_cli(tmp_path, "fixtures", *args, "--schema", str(path))
    assert result.returncode == 0, result.stderr
    pj, rs = python_jsonschema(document), jsonschema_rs_of(document)
    oracle = Oracle(schema_from_dict(document))
    for line in (tmp_path / "fx" / "valid.jsonl").read_text().splitlines():
        record = json.loads(line)["record"]
        assert pj.is_valid(record) and rs.is_valid(record), line
    marked = 0
    for line in (tmp_path / "fx" / "invalid.jsonl").read_text().splitlines():
        row = json.loads(line)
        record, v = row["record"], row["violation"]
        if "reading" in v:
            marked += 1
            assert v["reading"] == OPENAPI_FORMAT
            assert _format_of(document, v["schema_path"]) in READINGS[OPENAPI_FORMAT].formats
            assert pj.is_valid(record) and rs.is_valid(record), line
            assert not oracle.is_valid(record, reading=OPENAPI_FORMAT)
            continue
        assert not rs.is_valid(record), line
        loose = v["keyword"] == "format" and (
            _format_of(document, v["schema_path"]) in LOOSE_IN_PYTHON_JSONSCHEMA
        )
        assert loose or not pj.is_valid(record), line
    assert (marked > 0) == (name == "event")


def test_a_test_suite_row_of_the_reading_says_so(tmp_path: Path) -> None:
    args = ["--valid", "0", "--invalid", "200", "--seed", "1", "--format", "test-suite"]
    result = run_cli(tmp_path, "fixtures", *args, "--out", "fx", "--schema", str(EVENT_PATH))
    assert result.returncode == 0, result.stderr
    (_, invalid) = json.loads((tmp_path / "fx" / "test-suite.json").read_text())
    pj = python_jsonschema(EVENT_DOC)
    commented = [t for t in invalid["tests"] if "comment" in t]
    assert commented
    for test in invalid["tests"]:
        # A validator of the dialect disagrees with a test exactly where it says why.
        assert ("comment" in test) == (test["description"].startswith("out-of-range-for-format"))
        if "comment" in test:
            assert test["comment"] == READINGS[OPENAPI_FORMAT].note
            assert pj.is_valid(test["data"])


@pytest.mark.slow
def test_validate_says_valid_and_shows_the_readings_error_marked(tmp_path: Path) -> None:
    (tmp_path / "big.json").write_text(json.dumps(event(2**63)))
    (tmp_path / "negative.json").write_text(json.dumps(event(-1)))
    big = run_cli(tmp_path, "validate", "big.json", "--schema", str(EVENT_PATH))
    assert big.returncode == 0, big.stderr
    assert big.stdout.splitlines() == [
        "big.json: valid",
        "big.json: /ts: 9223372036854775808 is outside the range of int64 "
        "[format, openapi-format reading: a SHOULD, JSON Schema has no such format]",
    ]
    negative = run_cli(tmp_path, "validate", "negative.json", "--schema", str(EVENT_PATH))
    assert negative.returncode == 1
    assert negative.stdout == "negative.json: /ts: -1 is less than the minimum of 0 [minimum]\n"


def test_check_case_judges_a_readings_case_by_the_reading() -> None:
    """A case put again without its report's violation (an errored row): the oracle gives
    the reading's reason, and blames only who accepts 2^63."""
    from tests.fakes.third_party import event_jsonschema_rs

    check_case(ReferenceValidator(Oracle(EVENT)), OUT_OF_RANGE, event(2**63), schema=EVENT)
    with pytest.raises(pytest.fail.Exception, match="openapi-format reading"):
        check_case(event_jsonschema_rs, OUT_OF_RANGE, event(2**63), schema=EVENT)
