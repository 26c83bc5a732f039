"""The generation side of a true verdict: blame only what a requirement is about, and ask
every concrete near miss the kit knows.

- A schema-level record never hinges on format handling: its date-times are common ones.
- In a requirement about one property, every other property holds a plain value, so the
  case can only fail because of the property under test.
- Directed cases enumerate every concrete spelling: each enum near miss, each date-time
  malformation's variants, outputs shaped like records.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from inngest_conformance._requirements import Context, Requirement, catalogue
from inngest_conformance.strategies import default_lifecycle, default_schema
from inngest_conformance.strategies._datetimes import gen_datetime
from inngest_conformance.strategies._invalid import PLATFORM_SPELLINGS, InvalidCase
from inngest_conformance.strategies._malformed_datetimes import (
    DIGIT_LOOKALIKES,
    LOOKALIKES,
    MALFORMATIONS,
    OTHER_SEPARATORS,
    SEPARATORS,
    SPACE_SEPARATORS,
)
from inngest_conformance.strategies._records import HOMOGLYPHS, gen_record, near_misses
from inngest_conformance.strategies._rfc3339 import is_common_datetime
from inngest_conformance.strategies._schema import PropertySpec
from inngest_conformance.strategies._source import (
    Enumeration,
    MinimalSource,
    RandomSource,
    every_value,
)

from tests.common import REFERENCE, run_cli

CTX = Context(default_schema(), default_lifecycle())
REQUIREMENTS = {r.id: r for r in catalogue(CTX.schema, role="validator")}
SCHEMA_ACCEPTS = [r for r in REQUIREMENTS.values() if r.level == "schema" and r.kind == "accept"]


def scoped(req: Requirement) -> str | None:
    """The property a requirement is about (``...:started_at``), or ``None``."""
    parts = req.id.split(":")
    return parts[2] if len(parts) == 3 and CTX.schema.has(parts[2]) else None


SCOPED = [r for r in REQUIREMENTS.values() if scoped(r)]
#: A plain string: the realistic ids and slugs, nothing a validator could stumble on.
PLAIN_STRING = re.compile(r"[0-9A-Za-z][0-9A-Za-z_-]*")


def record_of(case: Any) -> Any:
    return case.record if isinstance(case, InvalidCase) else case


def datetimes(record: Any) -> list[str]:
    if not isinstance(record, dict):
        return []
    return [
        v
        for k, v in record.items()
        if CTX.schema.has(k) and CTX.schema.spec(k).format == "date-time" and isinstance(v, str)
    ]


# ---------------------------------------------------------------------------------------
# Schema-level records: common date-times only
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("rid", [r.id for r in SCHEMA_ACCEPTS])
def test_schema_level_records_carry_only_common_datetimes(rid: str) -> None:
    req = REQUIREMENTS[rid]
    src = RandomSource(11)
    values = [v for _ in range(3000) for v in datetimes(req.sample(CTX, src))]
    values += [v for case in req.explicit(CTX) for v in datetimes(case)]
    assert values or rid == "schema:accepts-required-only"
    edges = sorted({v for v in values if not is_common_datetime(v)})
    assert not edges, f"{rid}: {edges[:5]}"


@pytest.mark.parametrize("rid", ["schema:accepts-valid-records", "schema:accepts-all-optional"])
def test_schema_level_search_never_draws_an_edge_datetime(rid: str) -> None:
    @settings(max_examples=500, database=None, suppress_health_check=list(HealthCheck))
    @given(REQUIREMENTS[rid].cases(CTX))
    def check(record: Any) -> None:
        for value in datetimes(record):
            assert is_common_datetime(value), value

    check()


def test_common_datetimes_span_the_common_years_only() -> None:
    src = RandomSource(5)
    years = {int(gen_datetime(src, common=True)[:4]) for _ in range(20_000)}
    assert min(years) >= 1970 and max(years) <= 2099
    assert min(years) < 2000 and max(years) > 2050  # not only recent ones


# ---------------------------------------------------------------------------------------
# Requirements about one property: every other property is plain
# ---------------------------------------------------------------------------------------


def common_value(spec: PropertySpec) -> Any:
    if spec.enum is not None:
        return spec.enum[0]
    if spec.format == "date-time":
        return "2024-01-05T10:00:00Z"
    return {} if spec.types == ("object",) else "run-1"


def assert_blames_only(req: Requirement, case: Any) -> None:
    name = scoped(req)
    assert name is not None
    record = record_of(case)
    assert isinstance(record, dict), (req.id, record)
    # With the property under test made common, the reference accepts the record.
    fixed = {**record, name: common_value(CTX.schema.spec(name))}
    assert CTX.oracle.is_valid(fixed), (req.id, record, CTX.oracle.errors(fixed))
    # And every other value is one no reasonable implementation argues about.
    for key, value in record.items():
        if key == name:
            continue
        spec = CTX.schema.spec(key)
        if spec.format == "date-time":
            assert is_common_datetime(value), (req.id, key, value)
        elif spec.enum is not None:
            assert value in spec.enum, (req.id, key, value)
        elif isinstance(value, str):
            assert PLAIN_STRING.fullmatch(value), (req.id, key, value)
        else:
            assert value == {}, (req.id, key, value)


@pytest.mark.parametrize("rid", [r.id for r in SCOPED])
def test_property_scoped_cases_can_fail_only_for_their_property(rid: str) -> None:
    req = REQUIREMENTS[rid]
    src = RandomSource(3)
    for _ in range(250):
        assert_blames_only(req, req.sample(CTX, src))
    for case in req.explicit(CTX):
        assert_blames_only(req, case)


@settings(max_examples=300, database=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_property_scoped_search_can_fail_only_for_its_property(data: st.DataObject) -> None:
    req = data.draw(st.sampled_from(SCOPED))
    assert_blames_only(req, data.draw(req.cases(CTX)))


def test_every_validator_requirement_about_one_property_is_checked() -> None:
    # The scoped set is derived, not hand-listed: every property-named id is in it.
    properties = CTX.schema.document["properties"]
    named = {r.id for r in REQUIREMENTS.values() if r.id.rsplit(":", 1)[-1] in properties}
    assert named == {r.id for r in SCOPED}
    assert len(SCOPED) >= 15


# ---------------------------------------------------------------------------------------
# Directed cases enumerate every concrete near miss
# ---------------------------------------------------------------------------------------


def directed(rid: str) -> list[InvalidCase]:
    return list(REQUIREMENTS[rid].explicit(CTX))


def test_directed_enum_cases_have_every_near_miss() -> None:
    statuses = {c.record["status"] for c in directed("schema:rejects-not-in-enum:status")}
    members = [m for m in CTX.schema.spec("status").enum or () if isinstance(m, str)]
    assert set(PLATFORM_SPELLINGS) <= statuses
    for m in members:
        alternating = "".join(c.lower() if i % 2 else c.upper() for i, c in enumerate(m))
        cases = {m.lower(), m.title(), m.swapcase(), alternating}
        spaces = {m + " ", " " + m, m + "\n", "\t" + m, "\u00a0" + m, m + "\u200b", m + "\x00"}
        inner = {m[:1] + " " + m[1:], m[:-1] + " " + m[-1:]}
        fullwidth = "".join(chr(ord(c) + 0xFEE0) for c in m)
        lookalikes = {
            m[:i] + HOMOGLYPHS[c] + m[i + 1 :] for i, c in enumerate(m) if c in HOMOGLYPHS
        }
        for value in (cases | spaces | inner | lookalikes | {fullwidth}) - set(members):
            assert value in statuses, (m, value)
    # The named examples of the issue.
    assert {"SKIPPED", "SCHEDULED", "CANCELED", "Failed", "cancelled", "PAUSED "} <= statuses


@pytest.mark.parametrize("name", ["started_at", "ended_at"])
def test_directed_malformations_enumerate_every_spelling(name: str) -> None:
    cases = directed(f"format:rejects-malformed-date-time:{name}")
    base = gen_record(MinimalSource(), CTX.schema, plain=True)
    ordinary = gen_datetime(MinimalSource(), common=True)
    assert {c.violation.detail for c in cases} == set(MALFORMATIONS)
    for case in cases:
        others = {k: v for k, v in case.record.items() if k != name}
        assert others == base, case.record  # only the property under test is unusual

    def spelled(detail: str) -> set[str]:
        return {c.record[name] for c in cases if c.violation.detail == detail}

    def between(separators: tuple[str, ...]) -> set[str]:
        return {ordinary[:10] + s + ordinary[11:] for s in separators}

    assert spelled("space-separator") == between(SPACE_SEPARATORS)
    assert ordinary[:10] + " " + ordinary[11:] in spelled("space-separator")  # @cfworker's
    assert spelled("missing-separator") == {ordinary[:10] + ordinary[11:]}
    assert spelled("other-separator") == between(OTHER_SEPARATORS)
    separated = spelled("space-separator") | spelled("missing-separator")
    assert separated | spelled("other-separator") == between(SEPARATORS)
    # Every look-alike of every punctuation mark and letter, each in a case of its own.
    for detail, char in [
        *(("lookalike-hyphen", c) for c in LOOKALIKES["-"]),
        *(("lookalike-offset-sign", c) for c in LOOKALIKES["-"] + LOOKALIKES["+"]),
        *(("lookalike-colon", c) for c in LOOKALIKES[":"]),
        *(("lookalike-decimal-point", c) for c in LOOKALIKES["."]),
        *(("lookalike-t", c) for c in LOOKALIKES["T"]),
        *(("lookalike-z", c) for c in LOOKALIKES["Z"]),
        *(("lookalike-digit", c) for c in DIGIT_LOOKALIKES[ordinary[0]]),
    ]:
        assert any(char in value for value in spelled(detail)), (detail, char)
    assert "2019-01-01T00:00:00\u221205:00" in spelled("lookalike-offset-sign")  # pydantic's
    assert spelled("lookalike-hyphen") >= {"2019\u221201-01T00:00:00Z", "2019-01\u221201T00:00:00Z"}
    assert {"2019-01-01T00\uff1a00:00Z", "2019-01-01T00:00\uff1a00Z"} <= spelled("lookalike-colon")
    assert "2019-01-01T00:00:00+05\uff1a30" in spelled("lookalike-colon")
    # Every spelling of every malformation is there once, each on the ordinary base.
    values = [json.dumps(c.record, sort_keys=True) for c in cases]
    assert len(values) == len(set(values))
    assert len(cases) > 3 * len(MALFORMATIONS)


def test_quick_sends_every_spelling_of_every_date_time_malformation(tmp_path: Path) -> None:
    """What a user's run sends (``--log-cases``): at ``quick``, in each date-time property,
    every malformation and every look-alike of each punctuation mark, letter and digit."""
    names = ("started_at", "ended_at")
    rids = [f"format:rejects-malformed-date-time:{name}" for name in names]
    args = [a for rid in rids for a in ("--requirement", rid)]
    done = run_cli(
        tmp_path, "certify", "--target", REFERENCE, "--profile", "quick", *args,
        "--log-cases", "cases.jsonl", "--report-dir", "out",
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    lines = [json.loads(line) for line in (tmp_path / "cases.jsonl").read_text().splitlines()]
    ordinary = gen_datetime(MinimalSource(), common=True)
    digits = DIGIT_LOOKALIKES[ordinary[0]] + DIGIT_LOOKALIKES[ordinary[-2]]
    looks = {c for table in LOOKALIKES.values() for c in table} | set(digits)
    for name, rid in zip(names, rids, strict=True):
        directed = [x for x in lines if x["requirement"] == rid and x["phase"] == "directed"]
        assert {x["expected"]["violation"]["detail"] for x in directed} == set(MALFORMATIONS)
        sent = "".join(x["case"][name] for x in directed)
        assert looks <= set(sent), looks - set(sent)
        assert all(x["ok"] for x in directed)  # the reference refuses every one


def test_directed_unknown_properties_have_every_near_miss_name() -> None:
    known = set(CTX.schema.document["properties"])
    names = {k for c in directed("schema:rejects-unknown-property") for k in c.record} - known
    for spec in CTX.schema.properties:
        assert set(near_misses(spec.name)) - {p.name for p in CTX.schema.properties} <= names


def test_outputs_mimic_records() -> None:
    """Random outputs sometimes hold the record's own names (and near misses of them), and
    the directed cases always do, each still a valid record."""
    src, names = RandomSource(9), set(CTX.schema.document["properties"])
    misses = {m for n in names for m in near_misses(n)}
    seen: set[str] = set()
    for _ in range(3000):
        output = gen_record(src, CTX.schema).get("output")
        if isinstance(output, dict):
            seen |= set(output)
    assert len(seen & names) >= 5 and seen & misses
    examples = REQUIREMENTS["schema:accepts-valid-records"].explicit(CTX)
    assert examples
    for record in examples:
        assert CTX.oracle.is_valid(record), record
    assert names <= {k for r in examples if "output" in r for k in r["output"]}


# ---------------------------------------------------------------------------------------
# The enumeration itself
# ---------------------------------------------------------------------------------------


def test_every_value_takes_every_option_in_order() -> None:
    def gen(src: Any) -> tuple[str, bool, int, int]:
        return src.choice("abc"), src.boolean(), src.integer(0, 2), src.integer(10, 99)

    values = every_value(gen)
    assert len(values) == 3 * 2 * 3 * 2 == len(set(values))
    assert values == sorted(values)  # lexicographic: a stable order
    assert {v[3] for v in values} == {10, 99}  # a wide range: its two ends


def test_every_value_follows_dependent_choices_and_bounds_many_by_construction() -> None:
    values = every_value(lambda s: s.choice("ab") + (s.choice("xyz") if s.boolean() else ""))
    assert values == ["a", "ax", "ay", "az", "b", "bx", "by", "bz"]
    many = every_value(lambda s: tuple(s.choice(range(10)) for _ in range(5)), limit=1000)
    # 100,000 paths: 1000 of them, distinct, every option of each earlier choice taken.
    assert len(many) == len(set(many)) == 1000
    assert {v[0] for v in many} == set(range(10))
    assert {v[1] for v in many} == set(range(10))
    assert many == sorted(many)
    assert every_value(lambda s: tuple(s.choice(range(10)) for _ in range(5)), limit=1000) == many
    assert Enumeration([]).text(None, 2, 5) == "00"


def test_plain_records_are_plain() -> None:
    src = RandomSource(1)
    for _ in range(2000):
        record = gen_record(src, CTX.schema, plain=True)
        for key, value in record.items():
            spec = CTX.schema.spec(key)
            if spec.format == "date-time":
                assert is_common_datetime(value)
            elif spec.enum is None:
                assert value == {} or PLAIN_STRING.fullmatch(value), (key, value)
        assert CTX.oracle.is_valid(copy.deepcopy(record))
