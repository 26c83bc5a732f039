"""The requirement catalogue: the unit of a verdict, derived from the schema and the model.

Each :class:`Requirement` has a stable id, a level (``schema``, ``format``, ``lifecycle``),
an RFC 2119 keyword, the one-line statement a report shows, and how its cases are made and
judged.  Nothing is hand-listed per property: the validator requirements come from the
schema's properties and the invalidation operators that apply to them, the lifecycle ones
from the properties the lifecycle speaks of (``status``, ``started_at``, ``ended_at``).
"""

from __future__ import annotations

import copy
import dataclasses
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st
from inngest_conformance._run_programs import (
    CREATE,
    ENDED_AFTER_STARTED,
    ENDED_IFF_TERMINAL,
    IDS_STABLE,
    ILLEGAL,
    KEEPS_OUTPUT,
    LEGAL,
    NOT_STARTED,
    READ_BACK_STATUS,
    READ_BACK_VALID,
    STARTED_STABLE,
    TERMINAL,
    Executor,
    starts_later,
)
from inngest_conformance._variants import (
    DATETIME_FEATURES,
    enum_requirement_id,
    rfc3339_requirement_id,
)
from inngest_conformance._vocabulary import KEYWORDS, LEVELS, Keyword, Kind, Level, Role, one_of
from inngest_conformance.strategies import (
    OPERATORS,
    LifecycleModel,
    Oracle,
    PropertySpec,
    RandomSource,
    RunSchema,
    Source,
    Target,
    default_lifecycle,
    label_holds,
    targets,
)
from inngest_conformance.strategies._concurrent_programs import gen_concurrent_program
from inngest_conformance.strategies._datetimes import datetime_forms
from inngest_conformance.strategies._formats import OPENAPI_FORMAT
from inngest_conformance.strategies._invalid import (
    gen_invalid,
    reading_of_target,
    rule_of,
    unbuilt,
    variants,
)
from inngest_conformance.strategies._limits import MAX_MEMBERS, spread
from inngest_conformance.strategies._near_misses import (
    RULES,
    boundary_values,
    statement,
    unreachable_rules,
)
from inngest_conformance.strategies._programs import directed_programs, gen_program
from inngest_conformance.strategies._records import (
    ADVERSARIAL_STRINGS,
    gen_record,
    gen_value,
    record_like_outputs,
)
from inngest_conformance.strategies._schema import ROOT
from inngest_conformance.strategies._source import (
    MinimalSource,
    Unsatisfiable,
    derive_seed,
    strategy,
)
from inngest_conformance.strategies._subschema import gen_along, put


@dataclass(frozen=True)
class Context:
    """What every requirement is derived from and judged against."""

    schema: RunSchema
    model: LifecycleModel
    oracle: Oracle = field(init=False)
    executor: Executor = field(init=False)

    def __post_init__(self) -> None:
        oracle = Oracle(self.schema)
        object.__setattr__(self, "oracle", oracle)
        object.__setattr__(self, "executor", Executor(self.model, oracle))


@dataclass(frozen=True, slots=True, kw_only=True)
class Requirement:
    """One checkable claim about an implementation."""

    id: str
    level: Level
    keyword: Keyword
    statement: str
    role: Role
    kind: Kind
    """``accept`` (valid records), ``reject`` (invalid ones) or ``lifecycle`` (programs)."""
    gen: Callable[[Source, Context], Any] = field(compare=False, repr=False)
    """How one case is made: the one description behind :meth:`cases` and :meth:`sample`."""
    explicit: Callable[[Context], list[Any]] = field(
        default=lambda ctx: [], compare=False, repr=False
    )
    subject: str | None = None
    """The property the requirement is about, if one (its variants are named for it)."""
    unbuilt: str | None = None
    """Why the kit builds no case of it (a near miss past its size limit): such a
    requirement is ``errored`` with this reason, never searched."""

    def cases(self, ctx: Context) -> st.SearchStrategy[Any]:
        """The Hypothesis strategy of this requirement's cases."""
        cases = strategy(self.gen, ctx)
        if self.kind == "reject":
            return cases.filter(lambda case: label_holds(ctx.oracle, case))
        return cases

    def sample(self, ctx: Context, src: Source) -> Any:
        """One case from a plain source (a label that does not hold is drawn again, up to
        :data:`SAMPLE_TRIES` times; then :class:`Unsatisfiable`)."""
        for _ in range(SAMPLE_TRIES):
            case = self.gen(src, ctx)
            if self.kind != "reject" or label_holds(ctx.oracle, case):
                return case
        raise Unsatisfiable(
            f"{self.id}: no case whose label holds in {SAMPLE_TRIES} draws (each near miss "
            "broke more than its rule)"
        )

    def drawable(self, ctx: Context, seed: int) -> bool:
        """Whether any of a few draws outside Hypothesis (the simplest choices, then
        :data:`PROBE_DRAWS` seeded ones) makes a case: where none does, a search would
        spend a thousand rejected draws to learn the same."""
        sources: list[Source] = [MinimalSource()]
        sources += [RandomSource(derive_seed(seed, f"probe#{i}")) for i in range(PROBE_DRAWS)]
        for src in sources:
            try:
                case = self.gen(src, ctx)
            except Unsatisfiable:
                continue
            if self.kind != "reject" or label_holds(ctx.oracle, case):
                return True
        return False

    def to_json(self) -> dict[str, str]:
        return {
            "id": self.id,
            "level": self.level,
            "keyword": self.keyword,
            "statement": self.statement,
            "role": self.role,
        }


#: How many times :meth:`Requirement.sample` draws before it gives up.
SAMPLE_TRIES = 200
#: How many seeded draws :meth:`Requirement.drawable` makes besides the simplest.
PROBE_DRAWS = 24


def _with_value(src: Any, schema: RunSchema, spec: PropertySpec, value: Any) -> dict[str, Any]:
    """A plain record (every other value one nobody argues about) with ``value`` at
    ``spec``: a requirement about one property can only fail because of that property."""
    record: dict[str, Any] = gen_record(src, schema, plain=True)
    record[spec.name] = value
    return record


def _valid(src: Source, ctx: Context, **kwargs: Any) -> Any:
    return gen_record(src, ctx.schema, common_datetimes=True, **kwargs)


def _may_be(spec: PropertySpec, kind: str) -> bool:
    """Whether the property takes values of JSON type ``kind``: it names it (a nullable
    string, ``["string", "null"]``, too) or it takes any JSON value."""
    return not spec.types or kind in spec.types


def _record_like_examples(ctx: Context) -> list[Any]:
    """Records whose object properties (``output``) look like records: every property name
    with a value the record itself would reject, every near miss of one, a whole record.
    An implementation that flattens ``output`` into the record, or refuses such keys,
    rejects them."""
    base = gen_record(MinimalSource(), ctx.schema, plain=True)
    outputs = record_like_outputs(ctx.schema, base)
    return [
        {**base, spec.name: output}
        for spec in ctx.schema.properties
        if _may_be(spec, "object") and spec.enum is None and spec.node is None
        for output in outputs
    ]


def _valid_examples(ctx: Context) -> list[Any]:
    """The directed valid records: outputs that look like records, and every adversarial
    string (empty, control characters, markup, 10,000 characters, ...) in each plain string
    property, and a negative number in each plain numeric one, one at a time on a plain
    record, so that a length, pattern, character or sign limit the schema does not have is
    met at every profile.  Of a schema compiled whole, each adversarial string its root
    accepts (a record that is a string)."""
    if ctx.schema.root is not None:
        return [s for s in ADVERSARIAL_STRINGS if ctx.oracle.is_valid(s, reading=OPENAPI_FORMAT)]
    base = gen_record(MinimalSource(), ctx.schema, plain=True)
    strings = [
        {**base, spec.name: value}
        for spec in ctx.schema.properties
        if _may_be(spec, "string")
        and spec.enum is None
        and spec.format is None
        and spec.node is None
        for value in ADVERSARIAL_STRINGS
    ]
    numbers = [
        {**base, spec.name: value}
        for spec in ctx.schema.properties
        if (_may_be(spec, "number") or _may_be(spec, "integer"))
        and spec.enum is None
        and spec.node is None
        for value in (-1, *((-0.5,) if _may_be(spec, "number") else ()))
    ]
    return [*_record_like_examples(ctx), *strings, *numbers]


def _boundary_examples(ctx: Context) -> list[Any]:
    """A plain record per bound of every compiled subschema (see :func:`.boundary_values`),
    the value at the subschema's place: what an off-by-one implementation rejects."""
    out = []
    base = gen_record(MinimalSource(), ctx.schema, plain=True)  # the same for every bound
    root = ctx.schema.root
    for node, prop, steps in ctx.schema.places.values():
        for _, value in boundary_values(node):
            if root is not None:
                record, _ = gen_along(MinimalSource(), root, steps, put(value), 0)
            else:
                spec = ctx.schema.spec(prop)
                assert spec.node is not None
                held, _ = gen_along(MinimalSource(), spec.node, steps, put(value), 1)
                record = {**copy.deepcopy(base), prop: held}
            if ctx.oracle.is_valid(record, reading=OPENAPI_FORMAT):
                out.append(record)
    return out


def _enum_case(spec: PropertySpec, src: Source, ctx: Context) -> Any:
    return _with_value(src, ctx.schema, spec, src.choice(spec.enum or ()))


def _enum_examples(spec: PropertySpec, ctx: Context) -> list[Any]:
    """One explicit case per enum member (of a long enum, :data:`MAX_MEMBERS` spread from
    the first to the last): each is tried whatever the search draws."""
    members = spread(spec.enum or (), MAX_MEMBERS)
    return [_with_value(MinimalSource(), ctx.schema, spec, m) for m in members]


def _members_text(spec: PropertySpec) -> str:
    """The enum as a statement lists it: each member, or of a long enum the first few and
    how many were tried by name."""
    members = spec.enum or ()
    if len(members) <= MAX_MEMBERS:
        return ", ".join(str(m) for m in members)
    shown = ", ".join(str(m) for m in members[:8])
    return (
        f"{shown}, ... {len(members)} in all; each run tries {MAX_MEMBERS} by name, spread "
        "evenly from the first to the last, and draws the others at random"
    )


def _rfc3339_examples(spec: PropertySpec, ctx: Context) -> list[Any]:
    """One record per named feature of a date-time (each alone, so that a failure names
    it), then one per spelling (offsets, case, fractions, leap second) in combination."""
    # A fraction of 300 digits: RFC 3339 sets no limit, so neither may a length limit.
    longest = "2019-01-01T00:00:00." + "1234567890" * 30 + "Z"
    values = [*DATETIME_FEATURES.values(), *datetime_forms(), longest]
    return [_with_value(MinimalSource(), ctx.schema, spec, v) for v in values]


def _rfc3339_case(spec: PropertySpec, src: Source, ctx: Context) -> Any:
    return _with_value(src, ctx.schema, spec, gen_value(src, spec, common_datetimes=False))


def _invalid_case(target: Target, src: Source, ctx: Context) -> Any:
    return gen_invalid(src, ctx.schema, among=(target,))


def _invalid_variants(target: Target, ctx: Context) -> list[Any]:
    return list(variants(ctx.schema, target, ctx.oracle))


def _directed(focus: str, ctx: Context, *, every_legal: bool = False) -> list[Any]:
    """The directed programs of a focus; with ``every_legal`` also one per legal transition
    (a record invariant can break after any of them, and each is a kind of its own)."""
    programs = list(directed_programs(ctx.schema, ctx.model, focus=focus))
    if every_legal and focus != "legal":
        programs += directed_programs(ctx.schema, ctx.model, focus="legal")
    return programs


def _program(focus: str, src: Source, ctx: Context) -> Any:
    return gen_program(src, ctx.schema, ctx.model, focus=focus)


def _accepts(schema: RunSchema) -> list[Requirement]:
    valid = Requirement(
        id="schema:accepts-valid-records",
        level="schema",
        keyword="MUST",
        statement="accepts every valid record: any status, optional properties present or "
        "absent, adversarial strings, deep outputs",
        role="validator",
        kind="accept",
        gen=_valid,
        explicit=_valid_examples,
    )
    if schema.root is not None:
        # A schema compiled whole has no record properties to be required or optional.
        return [
            dataclasses.replace(
                valid,
                statement="accepts every value the schema describes, drawn from its root: "
                "each branch, optional properties present or absent, adversarial strings",
            ),
            *_boundary_requirement(schema),
        ]
    out = [
        valid,
        Requirement(
            id="schema:accepts-required-only",
            level="schema",
            keyword="MUST",
            statement="accepts a record with only the required properties "
            f"({', '.join(schema.required)})",
            role="validator",
            kind="accept",
            gen=functools.partial(_valid, with_optional=False),
        ),
        Requirement(
            id="schema:accepts-all-optional",
            level="schema",
            keyword="MUST",
            statement="accepts a record with every optional property "
            f"({', '.join(schema.optional)})",
            role="validator",
            kind="accept",
            gen=functools.partial(_valid, with_optional=True),
        ),
    ]
    out += _boundary_requirement(schema)
    for spec in schema.properties:
        if spec.enum is not None:
            members = _members_text(spec)
            out.append(
                Requirement(
                    id=enum_requirement_id(spec.name),
                    level="schema",
                    keyword="MUST",
                    statement=f"accepts every value of {spec.name}'s enum ({members})",
                    role="validator",
                    kind="accept",
                    gen=functools.partial(_enum_case, spec),
                    explicit=functools.partial(_enum_examples, spec),
                    subject=spec.name,
                )
            )
        if spec.format == "date-time":
            out.append(
                Requirement(
                    id=rfc3339_requirement_id(spec.name),
                    level="format",
                    keyword="MUST",
                    statement=f"accepts every RFC 3339 date-time in {spec.name}: numeric offsets, "
                    "lower-case t and z, leap seconds, long fractions",
                    role="validator",
                    kind="accept",
                    gen=functools.partial(_rfc3339_case, spec),
                    explicit=functools.partial(_rfc3339_examples, spec),
                    subject=spec.name,
                )
            )
    return out


def _boundary_requirement(schema: RunSchema) -> list[Requirement]:
    if not any(boundary_values(node) for node, _, _ in schema.places.values()):
        return []
    return [
        Requirement(
            id="schema:accepts-boundary-values",
            level="schema",
            keyword="MUST",
            statement="accepts values at every bound of its subschemas: minimum and maximum, "
            "exact lengths and counts, an integer written 1.0, -0",
            role="validator",
            kind="accept",
            gen=_valid,
            explicit=_boundary_examples,
        )
    ]


def _reject_statement(schema: RunSchema, target: Target) -> str:
    name = target.property
    if target.nested:
        node = schema.places[name or ""][0]
        where = "a record" if name == ROOT else name
        return f"rejects {where} {statement(target.rule, node)}"
    if target.rule == "missing-required":
        return f"rejects a record without {name}"
    if target.rule == "wrong-type":
        spec = schema.spec(name or "")
        return f"rejects {name} of a JSON type other than {' or '.join(spec.types)}, null included"
    if target.rule == "not-in-enum":
        return (
            f"rejects a {name} outside its enum: case and whitespace variants, look-alike "
            "characters, the platform's other spellings"
        )
    if target.rule == "malformed-date-time":
        return f"rejects values of {name} that are not RFC 3339 date-times"
    if target.rule == "not-an-object":
        return "rejects a document that is not a JSON object (null, a scalar, an array, a string)"
    return OPERATORS[target.rule].description.replace("A ", "rejects a ", 1).rstrip(".")


def _no_explicit(ctx: Context) -> list[Any]:
    return []


def _rejects(schema: RunSchema) -> list[Requirement]:
    """One requirement per target: a MUST, but where the cases are invalid only under a
    reading of the kit's (OpenAPI's ``int64``), which every validator of the dialect may
    ignore as the dialect does: a SHOULD."""
    out = []
    for target in targets(schema):
        level = rule_of(target)[1]
        rid = f"{level}:rejects-{target.requirement_suffix}"
        why = unbuilt(schema, target)
        out.append(
            Requirement(
                id=rid,
                level=one_of(level, LEVELS, "operator level"),
                keyword="SHOULD" if reading_of_target(schema, target) else "MUST",
                statement=_reject_statement(schema, target),
                role="validator",
                kind="reject",
                gen=functools.partial(_invalid_case, target),
                explicit=_no_explicit if why else functools.partial(_invalid_variants, target),
                subject=None if target.nested else target.property,
                unbuilt=why,
            )
        )
    return out


def unreachable(schema: RunSchema) -> tuple[tuple[str, str], ...]:
    """The ids the rules of the schema's subschemas would have where no value breaks them
    alone, each with why (:func:`.unreachable_rules`): no requirement exists for them, and
    the report lists them."""
    return tuple(
        (f"{RULES[name].level}:rejects-{Target(name, place).requirement_suffix}", why)
        for place, (node, _, _) in schema.places.items()
        for name, why in unreachable_rules(node)
    )


#: (id, keyword, focus, statement, parts needed).  The keyword of a record invariant
#: (``None`` here) is the lifecycle table's (``LifecycleModel.keyword``).  A part
#: (``run_id``, ``status``, ...) is the property the table's ``fields`` name for it, and so
#: is each ``{part}`` of a statement.
_LIFECYCLE: tuple[tuple[str, Keyword | None, str, str, tuple[str, ...]], ...] = (
    (
        CREATE,
        "MUST",
        "create",
        "creates a run from a valid record in the initial state, whatever its ids",
        ("run_id", "status"),
    ),
    (
        LEGAL,
        "MUST",
        "legal",
        "accepts every legal transition of the lifecycle model",
        ("run_id", "status"),
    ),
    (
        ILLEGAL,
        "MUST",
        "illegal",
        "rejects every transition the lifecycle model does not allow from a live state",
        ("run_id", "status"),
    ),
    (TERMINAL, "MUST", "terminal", "never leaves a terminal state", ("run_id", "status")),
    (
        READ_BACK_VALID,
        "MUST",
        "legal",
        "returns only records the schema accepts",
        ("run_id", "status"),
    ),
    (
        READ_BACK_STATUS,
        "MUST",
        "legal",
        "returns the {status} of the last accepted transition, spelled as in the schema",
        ("run_id", "status"),
    ),
    (IDS_STABLE, None, "states", "never changes an id once set", ("run_id", "status")),
    (
        STARTED_STABLE,
        None,
        "states",
        "never changes {started_at} once set",
        ("run_id", "status", "started_at"),
    ),
    (
        NOT_STARTED,
        None,
        "states",
        "has no {started_at} while the run is in its initial state",
        ("run_id", "status", "started_at"),
    ),
    (
        ENDED_IFF_TERMINAL,
        None,
        "states",
        "has {ended_at} exactly when the run is in a terminal state, on every record read back",
        ("run_id", "status", "ended_at"),
    ),
    (
        ENDED_AFTER_STARTED,
        None,
        "terminal",
        "never has {ended_at} before {started_at}",
        ("run_id", "status", "started_at", "ended_at"),
    ),
    (
        KEEPS_OUTPUT,
        None,
        "terminal",
        "keeps the {output} given with the transition that ended the run, on every later read",
        ("run_id", "status", "output"),
    ),
)


#: The lifecycle requirements about transitions themselves; the others are record invariants.
_TRANSITION_RULES = (CREATE, LEGAL, ILLEGAL, TERMINAL)


def _invariant(requirement_id: str) -> str:
    return requirement_id.split(":", 1)[1]


def _in_fields(model: LifecycleModel, statement: str) -> str:
    """``statement`` with each ``{part}`` the property the table's ``fields`` name for it."""
    return statement.format(**{k: v or k for k, v in model.fields.named().items()})


def _lifecycle(schema: RunSchema, model: LifecycleModel) -> list[Requirement]:
    names = model.fields.named()
    return [
        Requirement(
            id=rid,
            level="lifecycle",
            keyword=keyword or _keyword(model, _invariant(rid)),
            statement=_in_fields(model, statement),
            role="lifecycle",
            kind="lifecycle",
            gen=functools.partial(_program, focus),
            explicit=functools.partial(_directed, focus, every_legal=rid not in _TRANSITION_RULES),
        )
        for rid, keyword, focus, statement, needs in _LIFECYCLE
        if all(names[n] is not None and schema.has(str(names[n])) for n in needs)
        and (rid != NOT_STARTED or starts_later(model))
    ]


def lifecycle_unjudged(schema: RunSchema, model: LifecycleModel) -> str | None:
    """Why the schema gives rise to no lifecycle requirement (its records lack the
    properties the lifecycle table's ``fields`` name), or ``None`` when it gives some."""
    if _lifecycle(schema, model):
        return None
    names = model.fields.named()
    wanted = [str(names[n]) for n in ("run_id", "status") if names[n] is not None]
    missing = [n for n in wanted if not schema.has(n)]
    shape = "the schema is compiled whole, not read property by property" if schema.root else ""
    return (
        "the lifecycle level is not judged: the schema's records have no "
        f"{' and no '.join(missing or wanted)} property"
        + (f" ({shape})" if shape else "")
        + ", which the lifecycle table's fields name"
    )


#: (id, focus, statement) of the concurrency level: every one a MUST, judged by whether each
#: history the clients produce is linearizable against the lifecycle model.
_CONCURRENCY: tuple[tuple[str, str, str], ...] = (
    (
        "concurrency:transitions-are-atomic",
        "same",
        "applies a transition several clients ask for at once exactly once: one client's "
        "succeeds, the others are refused as the model refuses a repeat (probabilistic: "
        "each program is tried several times)",
    ),
    (
        "concurrency:one-terminal-outcome",
        "conflict",
        "gives a run raced by conflicting transitions (COMPLETED against CANCELLED, PAUSED "
        "against COMPLETED) one outcome that some order of the requests explains, and reads "
        "that agree with it (probabilistic: each program is tried several times)",
    ),
    (
        "concurrency:reads-see-committed-state",
        "reads",
        "answers a read racing a run's transitions with a state the run was in while the read "
        "ran: never a half-written record, never a state it had left before the read began "
        "(probabilistic: each program is tried several times)",
    ),
)


def _concurrent_program(focus: str, src: Source, ctx: Context) -> Any:
    return gen_concurrent_program(src, ctx.schema, ctx.model, focus=focus)


def _concurrency(schema: RunSchema, model: LifecycleModel) -> list[Requirement]:
    """The concurrency level: where the lifecycle level's requirements about transitions and
    read-back can be asked (a record with an id and a status)."""
    names = model.fields.named()
    if not all(names[n] is not None and schema.has(str(names[n])) for n in ("run_id", "status")):
        return []
    return [
        Requirement(
            id=rid,
            level="concurrency",
            keyword="MUST",
            statement=statement,
            role="lifecycle",
            kind="concurrency",
            gen=functools.partial(_concurrent_program, focus),
        )
        for rid, focus, statement in _CONCURRENCY
    ]


def catalogue(
    schema: RunSchema, *, role: str | None = None, model: LifecycleModel | None = None
) -> tuple[Requirement, ...]:
    """Every requirement the schema gives rise to (for one role, or all), in a stable order.

    ``model`` (by default the packaged lifecycle table) sets the keywords of the record
    invariants; it changes no id.
    """
    model = model or default_lifecycle()
    reqs = [
        *_accepts(schema),
        *_rejects(schema),
        *_lifecycle(schema, model),
        *_concurrency(schema, model),
    ]
    level_order = {lvl: i for i, lvl in enumerate(LEVELS)}
    reqs.sort(key=lambda r: level_order[r.level])  # stable: keeps derivation order within
    return tuple(r for r in reqs if role is None or r.role == role)


#: Requirements of a *source*: judged over the records it emitted, not over generated cases.
#: The record invariants are the lifecycle level's (one judge, ``record_breaches``), their
#: keywords the lifecycle table's.
SOURCE_REQUIREMENTS: tuple[tuple[str, Level, Keyword | None, str], ...] = (
    (
        "source:emits-valid-records",
        "schema",
        "MUST",
        "emits only records the schema accepts, formats aside",
    ),
    (
        "source:emits-valid-formats",
        "format",
        "MUST",
        "emits only values valid for their format (date-time and the others the oracle asserts)",
    ),
    (
        "source:statuses-follow-lifecycle",
        "lifecycle",
        "MUST",
        "shows each run's statuses in an order the lifecycle model allows: repeats and skipped "
        "states along a legal path, never backwards, never out of a terminal state",
    ),
    ("source:ids-never-change", "lifecycle", None, "never changes a run's ids between records"),
    (
        "source:started-at-never-changes",
        "lifecycle",
        None,
        "never changes a run's {started_at} once a record has shown it",
    ),
    (
        "source:no-started-at-while-initial",
        "lifecycle",
        None,
        "has no {started_at} in records of the initial status",
    ),
    (
        "source:ended-at-exactly-when-terminal",
        "lifecycle",
        None,
        "has {ended_at} exactly in records of a terminal status",
    ),
    (
        "source:ended-at-not-before-started-at",
        "lifecycle",
        None,
        "never has {ended_at} before {started_at}, within a record or across a run's records",
    ),
    (
        "source:keeps-output",
        "lifecycle",
        None,
        "keeps a run's {output}, once a record of a terminal status has shown it",
    ),
)


def _no_cases(src: Source, ctx: Context) -> Any:
    raise TypeError("a source's requirements are judged over what it emitted, not generated")


def _keyword(model: LifecycleModel, invariant: str) -> Keyword:
    """The keyword the lifecycle table gives an invariant (its loader checked the word)."""
    return one_of(model.keyword(invariant), KEYWORDS, f"keyword of {invariant}")


def source_requirements(model: LifecycleModel | None = None) -> tuple[Requirement, ...]:
    """The audit's requirements; ``model`` (by default the packaged table) sets keywords."""
    model = model or default_lifecycle()
    return tuple(
        Requirement(
            id=rid,
            level=level,
            keyword=keyword or _keyword(model, _invariant(rid)),
            statement=_in_fields(model, statement),
            role="source",
            kind="audit",
            gen=_no_cases,
        )
        for rid, level, keyword, statement in SOURCE_REQUIREMENTS
        if rid != f"source:{_invariant(NOT_STARTED)}" or starts_later(model)
    )
