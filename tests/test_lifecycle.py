"""Tests of the lifecycle model, its loaders, the sequence judges and the generators.

The generators are judged by the checkers and the checkers by hand-written sequences, so a
bug in one cannot hide behind the other.  Besides the default table and a user table with
an extra status, the properties run over random valid tables (``gen_table``), since any
user may bring their own.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from inngest_conformance.strategies._lifecycle_model import LifecycleError, LifecycleModel
from inngest_conformance.strategies._lifecycle_table import (
    default_lifecycle,
    lifecycle_from_dict,
    load_lifecycle,
)
from inngest_conformance.strategies._source import RandomSource, Source, strategy
from inngest_conformance.strategies._status_sequences import (
    RULES,
    SequenceViolation,
    check_observed,
    check_sequence,
    gen_invalid_status_sequence,
    gen_observed_sequence,
    gen_status_sequence,
)

ENUM = ("QUEUED", "RUNNING", "COMPLETED", "FAILED", "CANCELLED", "PAUSED")
TRANSITIONS = {
    ("QUEUED", "RUNNING"),
    ("QUEUED", "CANCELLED"),
    ("RUNNING", "PAUSED"),
    ("PAUSED", "RUNNING"),
    ("RUNNING", "COMPLETED"),
    ("RUNNING", "FAILED"),
    ("RUNNING", "CANCELLED"),
    ("PAUSED", "CANCELLED"),
}
TERMINAL = {"COMPLETED", "FAILED", "CANCELLED"}
DEFAULT_SHA256 = "96a6de578066a82c0e41f646b98fb147c9d8cbb2638f86f038e8ba8b9aa5a62a"

DEFAULT_TABLE: dict[str, Any] = {
    "initial": "QUEUED",
    "terminal": ["COMPLETED", "FAILED", "CANCELLED"],
    "transitions": {
        "QUEUED": ["RUNNING", "CANCELLED"],
        "RUNNING": ["PAUSED", "COMPLETED", "FAILED", "CANCELLED"],
        "PAUSED": ["RUNNING", "CANCELLED"],
    },
}
DEFAULT_TOML = """\
initial = "QUEUED"
terminal = ["COMPLETED", "FAILED", "CANCELLED"]

[transitions]
QUEUED = ["RUNNING", "CANCELLED"]
RUNNING = ["PAUSED", "COMPLETED", "FAILED", "CANCELLED"]
PAUSED = ["RUNNING", "CANCELLED"]
"""

MODEL = default_lifecycle(statuses=ENUM)
SCHEDULED_ENUM = (*ENUM, "SCHEDULED")
SCHEDULED = lifecycle_from_dict(
    {
        "initial": "SCHEDULED",
        "transitions": {"SCHEDULED": ["QUEUED"], **DEFAULT_TABLE["transitions"]},
    },
    statuses=SCHEDULED_ENUM,
)
WITH_UNUSED = default_lifecycle(statuses=(*ENUM, "ARCHIVED"))

MANY = settings(max_examples=1500, deadline=None)


def table(**changes: Any) -> dict[str, Any]:
    """The default table with some keys replaced (``None`` removes the key)."""
    out = {**DEFAULT_TABLE, "transitions": dict(DEFAULT_TABLE["transitions"])}
    for key, value in changes.items():
        if value is None:
            del out[key]
        else:
            out[key] = value
    return out


def gen_table(src: Source) -> tuple[dict[str, Any], tuple[str, ...] | None]:
    """A random valid lifecycle table and, sometimes, an enum (shuffled, maybe with extras).

    Statuses ``S0..Sn-1``, initial ``S0``; every non-initial status gets an edge from an
    earlier non-terminal one (so it is reachable) and every non-terminal one an edge to a
    later or terminal one (so a run can always finish); extra edges make branches and cycles.
    """
    n = src.integer(2, 6)
    names = [f"S{i}" for i in range(n)]
    terminal = [names[i] for i in range(1, n) if i == n - 1 or src.boolean(0.3)]
    live = [s for s in names if s not in terminal]
    edges: set[tuple[str, str]] = set()
    for i in range(1, n):
        earlier = [s for s in live if int(s[1:]) < i]
        edges.add((src.choice(earlier), names[i]))
    for s in live:
        onward = [t for t in names if int(t[1:]) > int(s[1:]) or t in terminal]
        edges.add((s, src.choice(onward)))
        for _ in range(src.integer(0, 2)):
            edges.add((s, src.choice(names)))
    transitions = {s: [t for t in names if (s, t) in edges] for s in live}
    data: dict[str, Any] = {"initial": "S0", "transitions": transitions}
    if src.boolean():
        data["terminal"] = terminal
    if not src.boolean():
        return data, None
    enum = names + [f"X{i}" for i in range(src.integer(0, 2))]
    order: list[str] = []
    while enum:
        order.append(enum.pop(src.integer(0, len(enum) - 1)))
    return data, tuple(order)


def random_model(src: Source) -> LifecycleModel:
    data, statuses = gen_table(src)
    return lifecycle_from_dict(data, statuses=statuses)


MODELS = st.one_of(st.just(MODEL), st.just(SCHEDULED), st.just(WITH_UNUSED), strategy(random_model))


def with_model(
    gen: Callable[..., Any], lengths: tuple[int, int]
) -> st.SearchStrategy[tuple[LifecycleModel, int, Any]]:
    """``(model, max_length, gen(src, model, max_length=...))`` over :data:`MODELS`."""
    return st.tuples(MODELS, st.integers(*lengths)).flatmap(
        lambda mn: st.tuples(st.just(mn[0]), st.just(mn[1]), strategy(gen, mn[0], max_length=mn[1]))
    )


# -- the default model ----------------------------------------------------------------------


def test_default_model_is_the_documented_lifecycle() -> None:
    assert MODEL.initial == "QUEUED"
    assert MODEL.terminal == TERMINAL
    assert MODEL.transitions == TRANSITIONS
    assert MODEL.statuses == ENUM
    assert MODEL.unused == ()
    assert all(MODEL.is_terminal(s) for s in TERMINAL)
    assert not MODEL.is_terminal("RUNNING")


def test_default_statuses_follow_the_packaged_schema_enum() -> None:
    root = Path(__file__).resolve().parent.parent
    schema = json.loads((root / "strategies/data/inngest-run.schema.json").read_text("utf-8"))
    assert tuple(schema["properties"]["status"]["enum"]) == ENUM


def test_without_an_enum_statuses_are_in_order_of_first_appearance() -> None:
    model = default_lifecycle()
    assert model.statuses == ("QUEUED", "RUNNING", "CANCELLED", "PAUSED", "COMPLETED", "FAILED")
    assert model.transitions == TRANSITIONS
    assert model != MODEL  # same table, different status order
    assert model.sha256 == MODEL.sha256


def test_model_queries() -> None:
    assert MODEL.successors("QUEUED") == ("RUNNING", "CANCELLED")
    assert MODEL.successors("RUNNING") == ("COMPLETED", "FAILED", "CANCELLED", "PAUSED")
    assert MODEL.successors("COMPLETED") == ()
    assert MODEL.successors("NOPE") == ()
    assert MODEL.is_legal("PAUSED", "RUNNING")
    assert not MODEL.is_legal("QUEUED", "COMPLETED")
    assert MODEL.reachable("QUEUED", "COMPLETED")
    assert MODEL.reachable("RUNNING", "RUNNING")  # via PAUSED
    assert not MODEL.reachable("QUEUED", "QUEUED")  # the path must be non-empty
    assert not MODEL.reachable("COMPLETED", "COMPLETED")
    assert not MODEL.reachable("RUNNING", "QUEUED")
    assert not MODEL.reachable("NOPE", "RUNNING")


def test_illegal_pairs_are_every_other_pair_in_stable_order() -> None:
    pairs = MODEL.illegal_pairs()
    assert len(pairs) == len(ENUM) ** 2 - len(TRANSITIONS) == 28
    assert set(pairs) | TRANSITIONS == {(a, b) for a in ENUM for b in ENUM}
    assert ("RUNNING", "RUNNING") in pairs and ("COMPLETED", "COMPLETED") in pairs
    assert list(pairs) == sorted(pairs, key=lambda p: (ENUM.index(p[0]), ENUM.index(p[1])))
    assert pairs == MODEL.illegal_pairs()


def test_sha256_is_pinned_and_canonical() -> None:
    assert MODEL.sha256 == DEFAULT_SHA256
    shuffled = {
        "transitions": {
            "PAUSED": ["CANCELLED", "RUNNING"],
            "COMPLETED": [],
            "RUNNING": ["FAILED", "CANCELLED", "COMPLETED", "PAUSED"],
            "QUEUED": ["CANCELLED", "RUNNING"],
        },
        "terminal": ["FAILED", "CANCELLED", "COMPLETED"],
        "initial": "QUEUED",
    }
    assert lifecycle_from_dict(shuffled).sha256 == DEFAULT_SHA256
    # The terminal list defaults to the statuses without outgoing transitions.
    assert lifecycle_from_dict(table(terminal=None)).sha256 == DEFAULT_SHA256


@pytest.mark.parametrize(
    "changed",
    [
        table(transitions={**DEFAULT_TABLE["transitions"], "PAUSED": ["RUNNING"]}),
        table(
            transitions={
                **DEFAULT_TABLE["transitions"],
                "QUEUED": ["RUNNING", "CANCELLED", "FAILED"],
            }
        ),
        table(
            terminal=["COMPLETED", "FAILED", "CANCELLED", "TIMED_OUT"],
            transitions={
                **DEFAULT_TABLE["transitions"],
                "RUNNING": ["PAUSED", "COMPLETED", "FAILED", "CANCELLED", "TIMED_OUT"],
            },
        ),
    ],
)
def test_changing_the_table_changes_sha256(changed: dict[str, Any]) -> None:
    assert lifecycle_from_dict(changed).sha256 != DEFAULT_SHA256


def test_to_json_is_canonical_and_round_trips() -> None:
    assert MODEL.to_json() == {
        "initial": "QUEUED",
        "terminal": ["CANCELLED", "COMPLETED", "FAILED"],
        "transitions": {
            "PAUSED": ["CANCELLED", "RUNNING"],
            "QUEUED": ["CANCELLED", "RUNNING"],
            "RUNNING": ["CANCELLED", "COMPLETED", "FAILED", "PAUSED"],
        },
        "keywords": {
            "ended-at-exactly-when-terminal": "SHOULD",
            "ended-at-not-before-started-at": "MUST",
            "ids-never-change": "MUST",
            "keeps-output": "SHOULD",
            "no-started-at-while-initial": "SHOULD",
            "started-at-never-changes": "MUST",
        },
        "absent": {
            "CANCELLED": ["output"],
            "FAILED": ["output"],
            "PAUSED": ["ended_at", "output"],
            "QUEUED": ["ended_at", "output", "started_at"],
            "RUNNING": ["ended_at", "output"],
        },
    }
    assert lifecycle_from_dict(MODEL.to_json(), statuses=MODEL.statuses) == MODEL


@pytest.mark.slow
@MANY
@given(strategy(gen_table))
def test_random_tables_round_trip(case: tuple[dict[str, Any], tuple[str, ...] | None]) -> None:
    data, statuses = case
    model = lifecycle_from_dict(data, statuses=statuses)
    assert lifecycle_from_dict(model.to_json(), statuses=model.statuses) == model
    assert set(model.illegal_pairs()).isdisjoint(model.transitions)
    assert len(model.illegal_pairs()) + len(model.transitions) == len(model.statuses) ** 2
    if statuses is not None:
        assert model.statuses == statuses
        assert set(model.unused) == {s for s in statuses if s.startswith("X")}


def test_json_and_toml_files_give_equal_models(tmp_path: Path) -> None:
    (tmp_path / "l.json").write_text(json.dumps(DEFAULT_TABLE), "utf-8")
    (tmp_path / "l.toml").write_text(DEFAULT_TOML, "utf-8")
    (tmp_path / "l.lifecycle").write_text(json.dumps(DEFAULT_TABLE), "utf-8")
    for statuses in (None, ENUM):
        from_json = load_lifecycle(tmp_path / "l.json", statuses=statuses)
        from_toml = load_lifecycle(str(tmp_path / "l.toml"), statuses=statuses)
        other = load_lifecycle(tmp_path / "l.lifecycle", statuses=statuses)
        assert from_json == from_toml == other == default_lifecycle(statuses=statuses)
    assert load_lifecycle(tmp_path / "l.toml", statuses=ENUM) == MODEL


# -- bad tables -----------------------------------------------------------------------------


def no_cycle_exit() -> dict[str, Any]:
    # RUNNING and PAUSED only lead to each other: a run there could never finish.
    return {
        "initial": "QUEUED",
        "terminal": ["CANCELLED"],
        "transitions": {
            "QUEUED": ["RUNNING", "CANCELLED"],
            "RUNNING": ["PAUSED"],
            "PAUSED": ["RUNNING"],
        },
    }


BAD_TABLES: list[tuple[str, Any, Any, tuple[str, ...]]] = [
    (
        "unknown status in transitions",
        table(transitions={**DEFAULT_TABLE["transitions"], "RUNNING": ["DONE"]}),
        ENUM,
        ("'DONE'", "transitions['RUNNING']", "QUEUED, RUNNING, COMPLETED"),
    ),
    ("unknown initial", table(initial="NEW"), ENUM, ("'NEW'", "initial", "enum")),
    (
        "unknown terminal",
        table(terminal=["COMPLETED", "FAILED", "CANCELLED", "GONE"]),
        ENUM,
        ("'GONE'", "terminal[3]"),
    ),
    (
        "unknown source",
        table(transitions={**DEFAULT_TABLE["transitions"], "WAITING": ["RUNNING"]}),
        ENUM,
        ("'WAITING'", "transitions"),
    ),
    ("enum lists a status twice", DEFAULT_TABLE, (*ENUM, "PAUSED"), ("'PAUSED'", "twice")),
    ("enum is a string", DEFAULT_TABLE, "QUEUED", ("'QUEUED'", "enum")),
    ("missing initial", table(initial=None), None, ("'initial'",)),
    ("missing transitions", table(transitions=None), None, ("'transitions'",)),
    ("initial is terminal", table(terminal=["QUEUED", "COMPLETED"]), None, ("'QUEUED'",)),
    (
        "initial has no way out",
        {"initial": "QUEUED", "transitions": {"RUNNING": ["COMPLETED"]}},
        None,
        ("'QUEUED'", "no outgoing"),
    ),
    (
        "terminal with outgoing transitions",
        table(transitions={**DEFAULT_TABLE["transitions"], "COMPLETED": ["RUNNING"]}),
        None,
        ("'COMPLETED'", "'RUNNING'", "terminal"),
    ),
    (
        "unreachable source",
        table(transitions={**DEFAULT_TABLE["transitions"], "ORPHAN": ["COMPLETED"]}),
        None,
        ("'ORPHAN'", "reached"),
    ),
    (
        "unreachable terminal",
        table(terminal=["COMPLETED", "FAILED", "CANCELLED", "TIMED_OUT"]),
        None,
        ("'TIMED_OUT'", "reached"),
    ),
    (
        "dead end that is not terminal",
        table(
            terminal=["COMPLETED", "FAILED", "CANCELLED"],
            transitions={**DEFAULT_TABLE["transitions"], "PAUSED": ["RUNNING", "STUCK"]},
        ),
        None,
        ("'STUCK'", "not terminal"),
    ),
    ("no way to finish", no_cycle_exit(), None, ("'RUNNING'", "finish")),
    ("not a mapping", ["QUEUED", "RUNNING"], None, ("list", "['QUEUED', 'RUNNING']")),
    ("a string", "QUEUED", None, ("str", "'QUEUED'")),
    ("unknown key", table(finals=["COMPLETED"]), None, ("'finals'",)),
    ("initial not a string", table(initial=3), None, ("3", "initial")),
    ("initial empty", table(initial=""), None, ("''", "initial")),
    ("transitions a list", table(transitions=[["QUEUED", "RUNNING"]]), None, ("[['QUEUED'",)),
    (
        "targets a string",
        table(transitions={**DEFAULT_TABLE["transitions"], "QUEUED": "RUNNING"}),
        None,
        ("'RUNNING'", "transitions['QUEUED']"),
    ),
    (
        "target not a string",
        table(transitions={**DEFAULT_TABLE["transitions"], "QUEUED": ["RUNNING", 5]}),
        None,
        ("5", "transitions['QUEUED'][1]"),
    ),
    ("source not a string", table(transitions={1: ["RUNNING"]}), None, ("1", "transitions")),
    ("keywords a list", table(keywords=["MUST"]), None, ("keywords", "['MUST']")),
    (
        "keyword of no invariant",
        table(keywords={"ids-stable": "MUST"}),
        None,
        ("'ids-stable'", "keeps-output"),
    ),
    ("keyword MAY", table(keywords={"keeps-output": "MAY"}), None, ("'MAY'", "MUST or SHOULD")),
    ("absent a list", table(absent=["output"]), None, ("absent", "['output']")),
    ("absent of no status", table(absent={"NEW": ["output"]}), ENUM, ("'NEW'", "absent")),
    ("absent of no table status", table(absent={"NEW": ["output"]}), None, ("'NEW'", "absent")),
    ("absent a string", table(absent={"QUEUED": "output"}), None, ("absent['QUEUED']",)),
    ("absent an empty name", table(absent={"QUEUED": [""]}), None, ("''", "absent['QUEUED']")),
    ("terminal a string", table(terminal="COMPLETED"), None, ("'COMPLETED'", "terminal")),
    ("terminal holds null", table(terminal=["COMPLETED", None]), None, ("None", "terminal[1]")),
]


@pytest.mark.parametrize(
    ("data", "statuses", "needles"),
    [case[1:] for case in BAD_TABLES],
    ids=[case[0] for case in BAD_TABLES],
)
def test_bad_tables_are_rejected_naming_the_value(
    data: Any, statuses: Any, needles: tuple[str, ...]
) -> None:
    with pytest.raises(LifecycleError) as info:
        lifecycle_from_dict(data, statuses=statuses)
    message = str(info.value)
    assert isinstance(info.value, ValueError)
    assert "\n" not in message
    for needle in needles:
        assert needle in message, (needle, message)


def test_a_model_checks_itself_when_built_directly() -> None:
    with pytest.raises(LifecycleError, match="'DONE'"):
        LifecycleModel(ENUM, "QUEUED", frozenset(TERMINAL), frozenset({("QUEUED", "DONE")}))
    with pytest.raises(LifecycleError, match=r"'RUNNING'.*twice"):
        LifecycleModel(("QUEUED", "RUNNING", "RUNNING"), "QUEUED", frozenset(), frozenset())
    built = LifecycleModel(ENUM, "QUEUED", frozenset(TERMINAL), frozenset(TRANSITIONS))
    assert built == MODEL and hash(built) == hash(MODEL)


BAD_FILES: list[tuple[str, str | bytes, tuple[str, ...]]] = [
    ("bad.json", '{"initial": "QUEUED", ', ("JSON", "line 1")),
    ("bad.toml", "initial = QUEUED\n", ("TOML", "line 1")),
    ("bad.yaml", "initial: QUEUED\n", ("JSON",)),
    ("latin1.json", b'{"initial": "\xe9"}', ("UTF-8",)),
    ("dup.json", '{"initial": "QUEUED", "initial": "RUNNING", "transitions": {}}', ("'initial'",)),
    ("list.json", '["QUEUED"]', ("list",)),
    ("unknown.json", json.dumps(table(initial="NEW")), ("'NEW'", "enum")),
    ("unknown.toml", DEFAULT_TOML.replace('PAUSED = ["RUNNING"', 'PAUSED = ["DONE"'), ("'DONE'",)),
]


@pytest.mark.parametrize(("name", "content", "needles"), BAD_FILES, ids=[f[0] for f in BAD_FILES])
def test_bad_files_are_rejected_naming_the_path(
    tmp_path: Path, name: str, content: str | bytes, needles: tuple[str, ...]
) -> None:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, "utf-8")
    with pytest.raises(LifecycleError) as info:
        load_lifecycle(path, statuses=ENUM)
    message = str(info.value)
    assert str(path) in message and "\n" not in message
    for needle in needles:
        assert needle in message, (needle, message)


@pytest.mark.parametrize("name", ["missing.json", "."])
def test_unreadable_files_are_rejected_naming_the_path(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    with pytest.raises(LifecycleError, match="cannot read") as info:
        load_lifecycle(path)
    assert str(path) in str(info.value)


# -- judging sequences by hand --------------------------------------------------------------


def violation(rule: str, step: int, a: str | None, b: str) -> tuple[str, int, str | None, str]:
    return (rule, step, a, b)


def summary(found: SequenceViolation | None) -> tuple[str, int, str | None, str] | None:
    if found is None:
        return None
    assert found.rule in RULES
    assert found.message.startswith(f"step {found.step}: ") and "\n" not in found.message
    assert repr(found.to_status) in found.message
    return (found.rule, found.step, found.from_status, found.to_status)


STRICT: list[tuple[list[str], tuple[str, int, str | None, str] | None]] = [
    ([], None),
    (["QUEUED"], None),
    (["QUEUED", "RUNNING", "PAUSED", "RUNNING", "COMPLETED"], None),
    (["QUEUED", "RUNNING", "PAUSED", "CANCELLED"], None),
    (["QUEUED", "CANCELLED"], None),
    (["QUEUED", "COMPLETED"], violation("illegal-transition", 1, "QUEUED", "COMPLETED")),
    (["QUEUED", "QUEUED"], violation("illegal-transition", 1, "QUEUED", "QUEUED")),
    (
        ["QUEUED", "RUNNING", "COMPLETED", "RUNNING"],
        violation("leaves-terminal", 3, "COMPLETED", "RUNNING"),
    ),
    (
        ["QUEUED", "RUNNING", "FAILED", "FAILED"],
        violation("leaves-terminal", 3, "FAILED", "FAILED"),
    ),
    (["RUNNING", "COMPLETED"], violation("bad-initial", 0, None, "RUNNING")),
    (["DONE"], violation("unknown-status", 0, None, "DONE")),
    (["QUEUED", "RUNNING", "DONE"], violation("unknown-status", 2, "RUNNING", "DONE")),
    # Only the first violation counts.
    (
        ["QUEUED", "PAUSED", "QUEUED", "DONE"],
        violation("illegal-transition", 1, "QUEUED", "PAUSED"),
    ),
]


@pytest.mark.parametrize(("seq", "expected"), STRICT)
def test_check_sequence_by_hand(
    seq: list[str], expected: tuple[str, int, str | None, str] | None
) -> None:
    assert summary(check_sequence(MODEL, seq)) == expected


OBSERVED: list[tuple[list[str], tuple[str, int, str | None, str] | None]] = [
    ([], None),
    (["QUEUED", "COMPLETED"], None),
    (["QUEUED", "QUEUED", "RUNNING", "RUNNING", "FAILED", "FAILED"], None),
    (["RUNNING", "PAUSED", "RUNNING"], None),
    (["PAUSED", "RUNNING"], None),
    (["COMPLETED"], None),
    (["CANCELLED", "CANCELLED"], None),
    (["RUNNING", "QUEUED"], violation("goes-backwards", 1, "RUNNING", "QUEUED")),
    (["QUEUED", "PAUSED", "QUEUED"], violation("goes-backwards", 2, "PAUSED", "QUEUED")),
    (["COMPLETED", "RUNNING"], violation("leaves-terminal", 1, "COMPLETED", "RUNNING")),
    (["QUEUED", "FAILED", "CANCELLED"], violation("leaves-terminal", 2, "FAILED", "CANCELLED")),
    (["QUEUED", "DONE"], violation("unknown-status", 1, "QUEUED", "DONE")),
    (["DONE"], violation("unknown-status", 0, None, "DONE")),
]


@pytest.mark.parametrize(("seq", "expected"), OBSERVED)
def test_check_observed_by_hand(
    seq: list[str], expected: tuple[str, int, str | None, str] | None
) -> None:
    assert summary(check_observed(MODEL, seq)) == expected


def test_violation_to_json() -> None:
    found = check_sequence(MODEL, ["QUEUED", "COMPLETED"])
    assert found is not None
    assert found.to_json() == {
        "rule": "illegal-transition",
        "step": 1,
        "from": "QUEUED",
        "to": "COMPLETED",
        "message": found.message,
    }
    assert "'QUEUED'" in found.message and "'COMPLETED'" in found.message
    json.dumps(found.to_json())


def test_an_unused_status_is_known_but_reachable_from_nowhere() -> None:
    assert WITH_UNUSED.unused == ("ARCHIVED",)
    assert WITH_UNUSED.transitions == TRANSITIONS and WITH_UNUSED.sha256 == DEFAULT_SHA256
    assert not WITH_UNUSED.is_terminal("ARCHIVED")
    assert summary(check_sequence(WITH_UNUSED, ["QUEUED", "ARCHIVED"])) == violation(
        "illegal-transition", 1, "QUEUED", "ARCHIVED"
    )
    assert check_observed(WITH_UNUSED, ["ARCHIVED"]) is None
    assert summary(check_observed(WITH_UNUSED, ["ARCHIVED", "QUEUED"])) == violation(
        "goes-backwards", 1, "ARCHIVED", "QUEUED"
    )


# -- generators: properties -----------------------------------------------------------------


@pytest.mark.slow
@MANY
@given(with_model(gen_status_sequence, (1, 10)))
def test_generated_sequences_are_legal_walks(case: tuple[LifecycleModel, int, list[str]]) -> None:
    model, max_length, seq = case
    assert 1 <= len(seq) <= max_length
    assert seq[0] == model.initial
    assert all(model.is_legal(a, b) for a, b in pairwise(seq))
    assert check_sequence(model, seq) is None
    assert check_observed(model, seq) is None


@pytest.mark.slow
@MANY
@given(with_model(gen_invalid_status_sequence, (1, 10)))
def test_invalid_sequences_fail_with_exactly_their_label(
    case: tuple[LifecycleModel, int, tuple[list[str], SequenceViolation]],
) -> None:
    model, max_length, (seq, label) = case
    assert 1 <= len(seq) <= max_length
    assert label.rule in ("bad-initial", "illegal-transition", "leaves-terminal")
    assert check_sequence(model, seq) == label
    assert seq[label.step] == label.to_status
    assert check_sequence(model, seq[: label.step]) is None
    if label.step:
        assert label.from_status == seq[label.step - 1]
        assert (label.from_status, label.to_status) in model.illegal_pairs()
        assert model.is_terminal(label.from_status) == (label.rule == "leaves-terminal")


@pytest.mark.slow
@MANY
@given(with_model(gen_observed_sequence, (1, 14)))
def test_observed_sequences_pass_check_observed(
    case: tuple[LifecycleModel, int, list[str]],
) -> None:
    model, max_length, seq = case
    assert 1 <= len(seq) <= max_length
    assert check_observed(model, seq) is None
    assert model.unused == () or not set(seq) & set(model.unused)


def test_generators_shrink_to_the_simplest_case() -> None:
    from hypothesis import find

    for model in (MODEL, SCHEDULED):
        start = [model.initial]
        assert find(strategy(gen_status_sequence, model), lambda s: True) == start
        assert find(strategy(gen_observed_sequence, model), lambda s: True) == start
        seq, label = find(strategy(gen_invalid_status_sequence, model), lambda c: True)
        first = next(s for s in model.statuses if s != model.initial)
        assert seq == [first] and label.rule == "bad-initial"
    ends = find(strategy(gen_status_sequence, MODEL), lambda s: MODEL.is_terminal(s[-1]))
    assert len(ends) == 2 and ends[0] == "QUEUED"


def test_max_length_must_be_positive() -> None:
    for gen in (gen_status_sequence, gen_invalid_status_sequence, gen_observed_sequence):
        with pytest.raises(ValueError, match="max_length"):
            gen(RandomSource(0), MODEL, max_length=0)


# -- generators: coverage within a fixed budget ---------------------------------------------

BUDGET = 1500


def test_every_transition_within_budget_and_most_runs_end() -> None:
    for model in (MODEL, SCHEDULED):
        src = RandomSource(7)
        seen: set[tuple[str, str]] = set()
        lengths: Counter[int] = Counter()
        ended = 0
        for _ in range(BUDGET):
            seq = gen_status_sequence(src, model)
            seen.update(pairwise(seq))
            lengths[len(seq)] += 1
            ended += model.is_terminal(seq[-1])
        assert seen == model.transitions
        assert ended > BUDGET // 2  # most runs end ...
        assert ended < BUDGET * 0.95  # ... but some are caught mid-run
        assert lengths[1] > 0 and max(lengths) == 8


def test_every_illegal_pair_within_budget() -> None:
    for model in (MODEL, SCHEDULED, WITH_UNUSED):
        src = RandomSource(11)
        pairs: set[tuple[str | None, str]] = set()
        rules: Counter[str] = Counter()
        for _ in range(BUDGET * 2):
            _, label = gen_invalid_status_sequence(src, model)
            pairs.add((label.from_status, label.to_status))
            rules[label.rule] += 1
        expected: set[tuple[str | None, str]] = {
            p for p in model.illegal_pairs() if p[0] not in model.unused
        }
        expected |= {(None, s) for s in model.statuses if s != model.initial}
        assert pairs == expected
        assert set(rules) == {"bad-initial", "illegal-transition", "leaves-terminal"}


def test_every_transition_and_illegal_pair_of_random_tables_within_budget() -> None:
    src = RandomSource(3)
    for _ in range(20):
        model = random_model(src)
        walked: set[tuple[str, str]] = set()
        bad: set[tuple[str | None, str]] = set()
        for _ in range(600):
            seq = gen_status_sequence(src, model, max_length=10)
            walked.update(pairwise(seq))
            _, label = gen_invalid_status_sequence(src, model, max_length=10)
            if label.from_status is not None:
                bad.add((label.from_status, label.to_status))
        assert walked == model.transitions, model
        assert bad == {p for p in model.illegal_pairs() if p[0] not in model.unused}, model


def test_observed_sequences_skip_and_repeat() -> None:
    src = RandomSource(5)
    pairs: set[tuple[str, str]] = set()
    firsts: set[str] = set()
    for _ in range(BUDGET):
        seq = gen_observed_sequence(src, MODEL)
        pairs.update(pairwise(seq))
        firsts.add(seq[0])
    assert ("QUEUED", "COMPLETED") in pairs  # a skip
    assert ("RUNNING", "RUNNING") in pairs  # a repeat
    assert ("COMPLETED", "COMPLETED") in pairs  # still polling after the end
    assert firsts == set(ENUM)  # polling may start late


def test_a_user_status_changes_what_is_generated() -> None:
    assert SCHEDULED.initial == "SCHEDULED" and SCHEDULED.statuses == SCHEDULED_ENUM
    assert SCHEDULED.transitions == TRANSITIONS | {("SCHEDULED", "QUEUED")}
    assert SCHEDULED.sha256 != DEFAULT_SHA256
    src = RandomSource(13)
    walks = [gen_status_sequence(src, SCHEDULED) for _ in range(300)]
    assert all(w[0] == "SCHEDULED" for w in walks)
    assert any(w[:3] == ["SCHEDULED", "QUEUED", "RUNNING"] for w in walks)
    assert summary(check_sequence(SCHEDULED, ["QUEUED", "RUNNING"])) == violation(
        "bad-initial", 0, None, "QUEUED"
    )
    bad = {gen_invalid_status_sequence(src, SCHEDULED)[1].rule for _ in range(300)}
    assert bad == {"bad-initial", "illegal-transition", "leaves-terminal"}
    observed = [gen_observed_sequence(src, SCHEDULED) for _ in range(300)]
    assert any(o[0] == "SCHEDULED" for o in observed)
    assert summary(check_observed(SCHEDULED, ["QUEUED", "SCHEDULED"])) == violation(
        "goes-backwards", 1, "QUEUED", "SCHEDULED"
    )


def test_keywords_and_absent_default_to_the_packaged_table() -> None:
    bare = lifecycle_from_dict(
        {"initial": "QUEUED", "transitions": DEFAULT_TABLE["transitions"]}, statuses=ENUM
    )
    assert bare == MODEL and bare.sha256 == DEFAULT_SHA256
    assert MODEL.keyword("ids-never-change") == "MUST"
    assert MODEL.keyword("keeps-output") == "SHOULD"
    assert MODEL.absent_in("QUEUED") == ("ended_at", "output", "started_at")
    assert MODEL.absent_in("PAUSED") == ("ended_at", "output")
    assert MODEL.absent_in("COMPLETED") == ()
    # A user's table with another initial status gets the same defaults for it.
    assert SCHEDULED.absent_in("SCHEDULED") == ("ended_at", "output", "started_at")
    assert SCHEDULED.absent_in("QUEUED") == ("ended_at", "output")


def test_a_table_overrides_keywords_and_absent() -> None:
    custom = lifecycle_from_dict(
        table(keywords={"keeps-output": "MUST"}, absent={"QUEUED": ["output"]}), statuses=ENUM
    )
    assert custom.keyword("keeps-output") == "MUST"
    assert custom.keyword("ids-never-change") == "MUST"
    assert custom.absent_in("QUEUED") == ("output",) and custom.absent_in("RUNNING") == ()
    assert custom.sha256 != DEFAULT_SHA256
    assert lifecycle_from_dict(custom.to_json(), statuses=ENUM) == custom
