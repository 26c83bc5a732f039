"""The pytest plugin: the conformance suite inside another project's test run.

A thin door onto the engine.  With ``--conformance-target``, ``--conformance-command`` or
``--conformance-url`` (or the ini keys of the same names), every requirement of the
catalogue becomes one test item, also in a directory with no tests of its own; each item
calls :func:`inngest_conformance._engine.run_requirement`.  Results travel in the items'
``user_properties``, so under pytest-xdist the controller still sees every one and writes a
single merged report (``--conformance-report DIR``), never the workers.

Two more doors for a project's own tests:

* :func:`inngest_conformance.testing.suite` builds the same items as a parametrized test function
  whose implementation comes from one of the project's fixtures (a store on a database);
* ``@pytest.mark.conformance_cases("invalid", 20)`` parametrizes a test's
  ``conformance_case`` argument with labelled records drawn from the session's seed, their
  content-hash ids as test ids;
* the ``conformance_implementation`` fixture gives the adapter of the implementation the
  options name, for tests of the project's own (the regression modules
  ``inngest-conformance export`` writes put their cases to it).
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, cast

import pytest

if TYPE_CHECKING:
    from collections.abc import Mapping

    from inngest_conformance._baseline import Baseline, Entry
    from inngest_conformance._budget import Budget
    from inngest_conformance._vocabulary import Profile

__all__ = [
    "CASE_KINDS",
    "MARKER",
    "OPTIONS",
    "RequirementFailed",
    "ini_name",
    "option_name",
]

GROUP = "conformance"
OPTIONS: dict[str, str] = {
    "target": "a Python implementation, MOD:OBJ, called in-process",
    "command": "a program speaking the wire protocol on stdin/stdout",
    "url": "a service speaking the wire protocol over HTTP",
    "role": "validator or lifecycle (default: what the implementation describes)",
    "profile": "quick, standard or certify (default: standard)",
    "seed": "the seed that makes cases reproducible (default: 0)",
    "report": "write report.json and report.md into this folder",
    "junit": "write the conformance results as JUnit XML to this file (one testsuite per "
    "implementation)",
    "schema": "a run schema file (default: the packaged one)",
    "draft": "the JSON Schema draft of a schema without $schema: 4, 6, 7, 2019-09 or 2020-12 "
    "(default: 2020-12)",
    "lifecycle": "a lifecycle table, JSON or TOML (default: the packaged one)",
    "timeout": "seconds to wait for one answer (default: 5)",
    "max_answer_mb": "the largest answer a program or service may give, in MiB (default: "
    "16): a longer one is a protocol error",
    "collect": "when the items of the named implementation are collected: auto (default: "
    "when no test paths are given, when the implementation is named on the command line, "
    "or when an inngest-conformance node id is), always, or never",
    "rejects_with": "exception classes (MOD:CLASS, space-separated) a Python target raises "
    "to refuse, besides ValueError",
    "baseline": "known failures: a report.json, --update-baseline's file, or lines 'ID reason'; "
    "they still run and fail as xfail, one that passes (or a new kind of failure) fails",
    "log_cases": "write every case sent, passing ones included, to this JSON Lines file "
    "(one object a line, in catalogue order, also under xdist)",
    "max_time": "after each requirement's profile run, search on in further rounds until "
    "this budget (90s, 5m, 1h or seconds), shared evenly by the requirement items",
    "rounds": "after each requirement's profile run, exactly N further rounds (reproduces "
    "a max_time run: the report records each requirement's rounds)",
    "database": "keep the failures found in this folder and try them first in the next "
    "session (the report says the run was database-assisted)",
    "levels": "comma-separated levels the run covers (default: the role's); add concurrency "
    "to race an in-process store's clients (lifecycle,concurrency); its findings are "
    "probabilistic",
}
IMPLEMENTATION_OPTIONS = ("target", "command", "url")
RESULT_KEY = "inngest_conformance_result"
SUITE_KEY = "inngest_conformance_suite"
MARKER = "conformance_cases"
CASE_KINDS = ("valid", "invalid", "sequences")
COLLECT = ("auto", "always", "never")
#: The node id of the suite the plugin collects; its items are ``NODE::REQUIREMENT-ID``.
NODE = "inngest-conformance"


def option_name(name: str) -> str:
    """``--conformance-NAME``: the command-line spelling of a plugin option."""
    return f"--conformance-{name.replace('_', '-')}"


def ini_name(name: str) -> str:
    """``conformance_NAME``: the ini spelling of a plugin option."""
    return f"conformance_{name}"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup(GROUP, "inngest-conformance: certify a run-record implementation")
    for name, text in OPTIONS.items():
        group.addoption(option_name(name), dest=ini_name(name), default=None, help=text)
        parser.addini(ini_name(name), text, default=None)


def levels_setting(config: pytest.Config) -> list[str] | None:
    """``levels`` as a list (``None``: the role's levels)."""
    value = setting(config, "levels")
    if value is None:
        return None
    return [lvl.strip() for lvl in value.split(",") if lvl.strip()] or None


def setting(config: pytest.Config, name: str) -> str | None:
    """An option's value: the command line first, then the ini file."""
    value = config.getoption(ini_name(name))
    if value is None:
        value = config.getini(ini_name(name))
    return str(value) if value not in (None, "") else None


class _Session:
    """Per-process state, kept in the config's stash: built lazily, closed at the end."""

    def __init__(self, config: pytest.Config) -> None:
        from inngest_conformance._planning import context

        self.config = config
        self.ctx = context(
            setting(config, "schema"), setting(config, "lifecycle"), setting(config, "draft")
        )
        self._adapter: Any = None
        self.rows: list[dict[str, Any]] = []
        self.requirements: list[Any] | None = None
        self.baseline: Baseline | None = None
        """The known failures (``--conformance-baseline``), read in ``pytest_sessionstart``."""

    @property
    def profile(self) -> Profile:
        # Checked at configure time (check_profile).
        return cast("Profile", setting(self.config, "profile") or "standard")

    @property
    def seed(self) -> int:
        return int(setting(self.config, "seed") or 0)  # checked in pytest_configure

    @property
    def budget(self) -> Budget | None:
        return read_budget(self.config)  # checked in pytest_configure

    @property
    def database(self) -> Path | None:
        folder = setting(self.config, "database")
        return Path(folder) if folder is not None else None

    def adapter(self) -> Any:
        if self._adapter is None:
            from inngest_conformance._adapters import open_adapter

            self._adapter = open_adapter(
                target=setting(self.config, "target"),
                command=setting(self.config, "command"),
                url=setting(self.config, "url"),
                request_timeout=float(setting(self.config, "timeout") or 5.0),  # checked
                max_answer_bytes=max_answer_bytes(self.config),  # checked
                rejects_with=(setting(self.config, "rejects_with") or "").split(),
                schema=setting(self.config, "schema"),
                lifecycle=setting(self.config, "lifecycle"),
                draft=setting(self.config, "draft"),
            )
        return self._adapter

    def close(self) -> None:
        if self._adapter is not None:
            self._adapter.close()
            self._adapter = None


_STATE = pytest.StashKey[_Session]()
_SELECTED = pytest.StashKey[list[str]]()
#: The folder each process writes its part files of the case log into.
_LOG_PARTS = pytest.StashKey[Path]()
#: How the folder reaches xdist workers (their ``workerinput``).
LOG_PARTS_INPUT = "inngest_conformance_log_parts"


def _state(config: pytest.Config) -> _Session:
    if _STATE not in config.stash:
        config.stash[_STATE] = _Session(config)
    return config.stash[_STATE]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(kind, n): parametrize the test's conformance_case argument with n labelled "
        f"cases of kind {', '.join(CASE_KINDS)}, drawn from the session's seed",
    )
    chosen = [n for n in IMPLEMENTATION_OPTIONS if setting(config, n)]
    if len(chosen) > 1:
        raise pytest.UsageError(
            "name one implementation: "
            + " or ".join(option_name(n) for n in chosen)
            + ", not several"
        )
    role, profile = setting(config, "role"), setting(config, "profile")
    if role is not None or profile is not None:
        from inngest_conformance._planning import check_profile, check_role_name
        from inngest_conformance.errors import UsageError

        try:
            if role is not None:
                check_role_name(role, option_name("role"))
            if profile is not None:
                check_profile(profile, option_name("profile"))
        except UsageError as exc:
            raise pytest.UsageError(str(exc)) from None
    _check_numbers(config)
    collect = setting(config, "collect")
    if collect is not None and collect not in COLLECT:
        raise pytest.UsageError(
            f"{option_name('collect')} {collect!r} is not one of {', '.join(COLLECT)}"
        )
    # A node id of the plugin's own suite is no path: take it out of the arguments before
    # pytest looks for a file of that name, and select the items it names at collection.
    named = [a for a in config.args if a == NODE or a.startswith(f"{NODE}::")]
    if named:
        config.args[:] = [a for a in config.args if a not in named]
        config.stash[_SELECTED] = named
    directory, junit = setting(config, "report"), setting(config, "junit")
    if (directory is not None or junit is not None) and not hasattr(config, "workerinput"):
        if junit is not None:
            from inngest_conformance._junit import check_junit_path
            from inngest_conformance.errors import UsageError

            try:
                check_junit_path(junit)
            except UsageError as exc:
                raise pytest.UsageError(str(exc)) from None
        writer = ReportWriter(
            config, Path(directory) if directory is not None else None, junit=junit
        )
        config.pluginmanager.register(writer, "conformance-report")
    _configure_case_log(config)


def _configure_case_log(config: pytest.Config) -> None:
    """``--conformance-log-cases``: the controller (or the only process) makes the parts
    folder and merges it at the end; xdist workers are told where it is."""
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None:
        if LOG_PARTS_INPUT in workerinput:
            config.stash[_LOG_PARTS] = Path(workerinput[LOG_PARTS_INPUT])
        return
    path = setting(config, "log_cases")
    if path is None:
        return
    from inngest_conformance._case_log import open_parts
    from inngest_conformance.errors import UsageError

    try:
        parts = open_parts(path, option_name("log_cases"))
    except UsageError as exc:
        raise pytest.UsageError(str(exc)) from None
    config.stash[_LOG_PARTS] = parts.directory
    config.pluginmanager.register(CaseLogWriter(config, parts), "conformance-log-cases")


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """(pytest-xdist) Give each worker the case log's parts folder."""
    parts = node.config.stash.get(_LOG_PARTS, None)
    if parts is not None:
        node.workerinput[LOG_PARTS_INPUT] = str(parts)


def _check_numbers(config: pytest.Config) -> None:
    """Seed, timeout and answer size, checked once, up front: a bad value is one usage
    error, not a ValueError in every item."""
    seed = setting(config, "seed")
    if seed is not None:
        try:
            int(seed)
        except ValueError:
            raise pytest.UsageError(
                f"{option_name('seed')} {seed!r} is not a whole number, e.g. 0"
            ) from None
    if setting(config, "max_time") is not None or setting(config, "rounds") is not None:
        from inngest_conformance.errors import UsageError

        try:
            read_budget(config)
        except UsageError as exc:
            raise pytest.UsageError(str(exc)) from None
    timeout = setting(config, "timeout")
    if timeout is not None:
        from inngest_conformance._adapters.wire import timeout_seconds
        from inngest_conformance.errors import UsageError

        try:
            timeout_seconds(timeout, option_name("timeout"))
        except UsageError as exc:
            raise pytest.UsageError(str(exc)) from None
    if setting(config, "max_answer_mb") is not None:
        max_answer_bytes(config)


def max_answer_bytes(config: pytest.Config) -> int:
    """``max_answer_mb`` in bytes (the default when unset); a bad value is a usage
    error."""
    from inngest_conformance._adapters.wire import DEFAULT_MAX_ANSWER_BYTES, megabytes
    from inngest_conformance.errors import UsageError

    text = setting(config, "max_answer_mb")
    if text is None:
        return DEFAULT_MAX_ANSWER_BYTES
    try:
        return megabytes(text, option_name("max_answer_mb"))
    except UsageError as exc:
        raise pytest.UsageError(str(exc)) from None


def read_budget(config: pytest.Config) -> Budget | None:
    """``max_time``/``rounds`` as a budget (``None`` when neither is set)."""
    max_time, rounds = setting(config, "max_time"), setting(config, "rounds")
    if max_time is None and rounds is None:
        return None
    from inngest_conformance._budget import Budget

    return Budget.of(max_time, rounds, (option_name("max_time"), option_name("rounds")))


def collects(config: pytest.Config) -> bool:
    """Whether the named implementation's items are collected in this session.

    A project whose ini file names its implementation runs the suite with a plain
    ``pytest``; ``pytest tests/test_store.py`` runs what it names and nothing more.
    """
    if not any(setting(config, n) for n in IMPLEMENTATION_OPTIONS):
        return False
    if config.stash.get(_SELECTED, None):
        return True
    mode = setting(config, "collect") or "auto"
    if mode != "auto":
        return mode == "always"
    if any(config.getoption(ini_name(n)) for n in IMPLEMENTATION_OPTIONS):
        return True
    return config.args_source != pytest.Config.ArgsSource.ARGS or not config.args


def pytest_report_header(config: pytest.Config) -> str | None:
    if collects(config) or not any(setting(config, n) for n in IMPLEMENTATION_OPTIONS):
        return None
    return (
        f"inngest-conformance: the items of the ini's implementation are not collected "
        f"(test paths given); name {NODE} to run them, or set {ini_name('collect')}"
    )


def not_collected_line(config: pytest.Config) -> str | None:
    """The short summary's line for a session that left the ini's implementation out on its
    own (``auto``, test paths given): ``-q`` hides the header, and a session that ran only
    the user's tests exits 0 as if the implementation had been judged."""
    if collects(config) or not any(setting(config, n) for n in IMPLEMENTATION_OPTIONS):
        return None
    if (setting(config, "collect") or "auto") != "auto" or hasattr(config, "workerinput"):
        return None
    return (
        f"inngest-conformance: the conformance suite was not collected (test paths given): "
        f"add {NODE} to the paths to run it (pytest ... {NODE}), or set "
        f"{ini_name('collect')} = always"
    )


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    line = not_collected_line(config)
    if line is not None:
        terminalreporter.write_line(line, yellow=True)


class RequirementFailed(Exception):
    """A requirement's outcome, raised so pytest reports it as a failure."""


class RequirementItem(pytest.Item):
    """One requirement of the catalogue, run through the engine."""

    def __init__(self, *, requirement: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.requirement = requirement

    def runtest(self) -> None:
        state = _state(self.config)
        known = state.baseline.of(None) if state.baseline else None
        budget = state.budget
        if budget is not None:  # a time budget is shared by the requirement items
            budget = budget.share(sum(isinstance(i, RequirementItem) for i in self.session.items))
        run_and_record(
            self,
            state,
            self.requirement,
            state.adapter(),
            baseline=known,
            budget=budget,
            database=state.database,
        )

    def repr_failure(self, excinfo: Any, style: Any = None) -> str:
        if isinstance(excinfo.value, RequirementFailed):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[str, int, str]:
        return NODE, 0, f"{self.requirement.id}: {self.requirement.statement}"


class RunSettings(Protocol):
    """What :func:`run_and_record` needs: the session, or a suite's own settings."""

    @property
    def ctx(self) -> Any: ...

    @property
    def profile(self) -> Profile: ...

    @property
    def seed(self) -> int: ...


def run_and_record(
    item: pytest.Item,
    state: RunSettings,
    requirement: Any,
    adapter: Any,
    *,
    baseline: Mapping[str, Entry] | None = None,
    budget: Budget | None = None,
    database: Path | None = None,
) -> None:
    """Run one requirement, attach its result to the item, and fail or skip as it says.

    A requirement in ``baseline`` (id -> entry) that fails as its entry says is an xfail
    (``known failure (baseline): REASON``); one that passes, or no longer fails in every
    kind its entry names, fails like a strict xfail until the baseline is updated; a new
    kind of failure fails as an unbaselined failure does.  With
    ``--conformance-log-cases`` its cases go to its own part file.  A ``budget`` searches
    on after the profile run (:mod:`inngest_conformance._budget`); ``database`` is an
    example database folder.
    """
    from inngest_conformance._case_log import PartWriter
    from inngest_conformance._engine import examples_for, run_requirement
    from inngest_conformance._run_concurrent import TRIES

    parts = item.config.stash.get(_LOG_PARTS, None)
    writer = PartWriter(parts, _group(item.user_properties)) if parts is not None else None
    try:
        result = run_requirement(
            state.ctx,
            requirement,
            adapter,
            examples=examples_for(state.profile, requirement.kind),
            tries=TRIES[state.profile],
            run_seed=state.seed,
            every_variant=state.profile == "certify",
            observe=writer,
            database=database,
        )
        if budget is not None:
            from inngest_conformance._budget import search_more

            (result,) = search_more(
                state.ctx,
                adapter,
                [requirement],
                [result],
                budget=budget,
                profile=state.profile,
                run_seed=state.seed,
                observe=writer,
                database=database,
            )
    finally:
        if writer is not None:
            writer.close()
    row = result.to_json()
    item.user_properties.append((RESULT_KEY, json.dumps(row)))
    entry = (baseline or {}).get(requirement.id)
    new_kinds = ""
    if entry is not None and result.outcome in ("passed", "failed", "errored"):
        from inngest_conformance._baseline import stand
        from inngest_conformance._render import KNOWN, standing_text

        standing = stand(row, entry)
        say = standing_text(standing.standing or "known", entry.reason, standing.kinds)
        if standing.standing == "known":
            pytest.xfail(f"{KNOWN}: {say}")
        if standing.standing == "fixed":
            raise RequirementFailed(f"{requirement.id}: {say}")
        new_kinds = f"\n  {say}"
    if result.outcome == "skipped":
        pytest.skip(result.message)
    if result.outcome == "errored":
        commands = "".join(f"\n{line}" for line in command_lines(item, state, result))
        raise RequirementFailed(f"errored: {result.message}\n{result.detail}".rstrip() + commands)
    if result.outcome == "failed":
        from inngest_conformance._render import counterexample_text, failure_kinds, is_program

        row = result.to_json()
        shown = (
            counterexample_text(row)
            if is_program(result.counterexample)
            else f"  counterexample: {json.dumps(result.counterexample)[:2000]}\n"
        )
        text = (
            f"{requirement.id} ({requirement.keyword}): {result.message}\n{shown}"
            f"  answer:   {json.dumps(result.answer)[:500]}\n"
            f"  expected: {json.dumps(result.expected)[:500]}"
        )
        text += "".join(f"\n{line}" for line in command_lines(item, state, result))
        text += "\n" + failure_kinds(row).rstrip() + new_kinds
        if requirement.keyword == "SHOULD":
            warnings.warn(text, stacklevel=1)
            return
        raise RequirementFailed(text)


def command_lines(item: pytest.Item, state: RunSettings, result: Any) -> list[str]:
    """A failed or errored item's ``reproduce:`` and ``rerun:`` lines, as the command line
    prints them.  For the options' implementation: with a report folder, the one case
    replayed from the report the session writes; without, the requirement's certify run
    (the same seed makes the same case).  A :func:`inngest_conformance.testing.suite`'s
    implementation lives in the project's fixture, so pytest reruns it."""
    rid = result.requirement.id
    if not isinstance(state, _Session):
        test = item.nodeid.split("[", 1)[0]
        return [f"  reproduce: {suite_command(test, rid, state.seed, state.profile)}"]
    from inngest_conformance._adapters.base import Description
    from inngest_conformance.report import RunInfo, reproduce_fields, with_report_path

    info = RunInfo(
        state.ctx,
        result.requirement.role,
        state.profile,
        state.seed,
        Description(name=""),
        tuple(invocation_words(state.config)),
    )
    row = {"id": rid, "case_id": result.case_id, **reproduce_fields(info, result.to_json())}
    folder = setting(state.config, "report")
    if folder is None:
        row["reproduce"] = row["rerun"]
    else:
        row = with_report_path({"requirements": [row]}, str(Path(folder) / "report.json"))[
            "requirements"
        ][0]
    lines = [f"  reproduce: {row['reproduce']}"]
    if row["rerun"] != row["reproduce"]:
        lines.append(f"  rerun:     {row['rerun']}")
    return lines


def suite_command(test: str, rid: str, seed: int, profile: str) -> str:
    """The pytest command that runs one requirement of a suite again."""
    import shlex

    return shlex.join(
        [
            "pytest",
            f"{test}[{rid}]",
            option_name("seed"),
            str(seed),
            option_name("profile"),
            profile,
        ]
    )


def invocation_words(config: pytest.Config) -> list[str]:
    """The certify arguments naming the options' implementation, schema and model."""
    from inngest_conformance._planning import invocation

    return invocation(
        **{option: setting(config, option) for option in IMPLEMENTATION_OPTIONS},
        schema=setting(config, "schema"),
        lifecycle=setting(config, "lifecycle"),
        rejects_with=(setting(config, "rejects_with") or "").split(),
        draft=setting(config, "draft"),
    )


def _group(user_properties: Any) -> str:
    """Whose result an item's properties hold: ``""`` for the implementation the options
    name, a suite's report folder for a :func:`inngest_conformance.testing.suite` item."""
    props = dict(user_properties)
    return str(json.loads(str(props[SUITE_KEY]))["folder"]) if SUITE_KEY in props else ""


class ConformanceSuite(pytest.Collector):
    def __init__(self, *, requirements: list[Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.requirements = requirements

    def collect(self) -> Iterator[pytest.Item]:
        for req in self.requirements:
            yield RequirementItem.from_parent(self, name=req.id, requirement=req)


def pytest_sessionstart(session: pytest.Session) -> None:
    """Resolve the implementation, role and plan up front, in every process.

    Here rather than at collection so that a bad target is a usage error on the xdist
    controller too (which never collects), before any worker starts.
    """
    config = session.config
    if not collects(config):
        return
    from inngest_conformance._adapters.base import ImplementationError
    from inngest_conformance._planning import choose_role, describe, plan
    from inngest_conformance.errors import ConformanceError

    try:
        state = _state(config)
        adapter = state.adapter()
        role = choose_role(adapter, setting(config, "role"), describe(adapter))
        requirements = plan(state.ctx, role, levels=levels_setting(config))
        baseline = setting(config, "baseline")
        if baseline is not None:
            from inngest_conformance._baseline import Baseline

            state.baseline = Baseline.read(baseline).checked(state.ctx, role)
            reporter = config.pluginmanager.get_plugin("terminalreporter")
            if state.baseline.notice and reporter is not None:
                reporter.write_line(f"inngest-conformance: {state.baseline.notice}")
    except ConformanceError as exc:
        raise pytest.UsageError(str(exc)) from None
    except ImplementationError as exc:
        raise pytest.UsageError(f"the implementation did not answer: {exc}") from None
    selected = config.stash.get(_SELECTED, [])
    wanted = {a.split("::", 1)[1] for a in selected if "::" in a}
    if wanted and NODE not in selected:
        unknown = sorted(wanted - {r.id for r in requirements})
        if unknown:
            raise pytest.UsageError(
                f"not found: {NODE}::{unknown[0]} (role {role} has no such requirement; "
                "`inngest-conformance requirements` lists them)"
            )
        requirements = [r for r in requirements if r.id in wanted]
    state.requirements = requirements


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    state = config.stash.get(_STATE, None)
    if state is None or state.requirements is None:
        return
    # An explicit node id: a child of the session would otherwise be "::inngest-conformance".
    suite = ConformanceSuite.from_parent(
        session, name=NODE, nodeid=NODE, requirements=state.requirements
    )
    # Through genitems, so the items are reported as collected (counts, --collect-only).
    items.extend(session.genitems(suite))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    marker = metafunc.definition.get_closest_marker(MARKER)
    if marker is None or "conformance_case" not in metafunc.fixturenames:
        return
    kind = marker.args[0] if marker.args else marker.kwargs.get("kind", "valid")
    n = int(marker.args[1] if len(marker.args) > 1 else marker.kwargs.get("n", 10))
    if kind not in CASE_KINDS:
        # A collection error naming the test, without the hook machinery's traceback.
        pytest.fail(f"{MARKER}: kind {kind!r} is not one of {', '.join(CASE_KINDS)}", pytrace=False)
    from inngest_conformance.strategies._fixtures import Fixtures

    state = _state(metafunc.config)
    fixtures = Fixtures(state.ctx.schema, state.ctx.model, state.seed)
    rows = list(getattr(fixtures, kind)(n))
    metafunc.parametrize("conformance_case", rows, ids=[r["id"] for r in rows])


@pytest.fixture(scope="session")
def conformance_implementation(request: pytest.FixtureRequest) -> Any:
    """The adapter of the implementation named by ``--conformance-target``,
    ``--conformance-command`` or ``--conformance-url`` (or their ini keys): the session's
    one, opened once and closed at the end."""
    config = request.config
    if not any(setting(config, n) for n in IMPLEMENTATION_OPTIONS):
        pytest.fail(
            "conformance_implementation: name the implementation with "
            + ", ".join(option_name(n) for n in IMPLEMENTATION_OPTIONS)
            + " (or the ini keys of the same names)",
            pytrace=False,
        )
    from inngest_conformance._adapters.base import ImplementationError
    from inngest_conformance.errors import ConformanceError

    try:
        return _state(config).adapter()
    except (ConformanceError, ImplementationError) as exc:
        pytest.fail(f"conformance_implementation: {exc}", pytrace=False)


def _requirement_properties(report: pytest.TestReport) -> dict[str, Any] | None:
    """The properties of a requirement item's call phase; ``None`` for any other report."""
    if report.when != "call":
        return None
    props = dict(report.user_properties)
    return props if RESULT_KEY in props else None


class ReportWriter:
    """Collects the results of a session and writes one report per implementation.

    Registered in ``pytest_configure`` only when ``--conformance-report`` or
    ``--conformance-junit`` is given, and never on an xdist worker: results reach the
    controller inside the items' ``user_properties``, so it sees every one and writes merged
    reports.  The implementation the options name gets ``DIR/report.json``; each
    :func:`inngest_conformance.testing.suite` gets a folder of its own,
    ``DIR/<module>.<test>/``: a session holding a validator and a store never blends them
    into one verdict.  The JUnit file holds one testsuite per report; a CI job's summary
    (``GITHUB_STEP_SUMMARY``) gets each report's short summary.
    """

    def __init__(
        self, config: pytest.Config, directory: Path | None, *, junit: str | None = None
    ) -> None:
        self.config = config
        self.directory = directory
        self.junit = junit
        self.rows: dict[str, list[dict[str, Any]]] = {}
        self.suites: dict[str, dict[str, Any]] = {}
        self.written: list[tuple[Path, str]] = []
        self.baseline: dict[str, Any] | None = None
        self.hints: list[str] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        props = _requirement_properties(report)
        if props is None:
            return
        suite = json.loads(str(props[SUITE_KEY])) if SUITE_KEY in props else None
        group = suite["folder"] if suite else ""
        if suite:
            self.suites.setdefault(group, suite)
        self.rows.setdefault(group, []).append(json.loads(str(props[RESULT_KEY])))

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        from inngest_conformance._output_files import append_step_summary
        from inngest_conformance._run import mark_interrupted
        from inngest_conformance.report import with_report_path, write_reports

        state = _state(self.config)
        # -x, --maxfail or Ctrl-C: the items not reached are not in the report, which is
        # then marked interrupted, never a verdict on part of the suite.
        stopped = bool(session.shouldfail or session.shouldstop) or (
            exitstatus == pytest.ExitCode.INTERRUPTED
        )
        reports = []
        for group in sorted(self.rows):
            suite = self.suites.get(group)
            report = session_report(state, self.rows[group], suite)
            if stopped:
                report = mark_interrupted(report)
            if not suite:
                from inngest_conformance._baseline import with_baseline

                report = with_baseline(report, state.baseline)
                self.baseline = report.get("baseline")
            if self.directory is not None:
                directory = self.directory / group if group else self.directory
                label = (
                    f"suite({suite['fixture']!r}) in {suite['test']}"
                    if suite
                    else report["implementation"]["name"]
                )
                self.written += [(p, label) for p in write_reports(report, directory)[:1]]
                # As written: the replay commands name the report's own path.
                report = with_report_path(report, str(directory / "report.json"))
            reports.append(report)
            self.hints += [str(h["text"]) for h in report.get("hints", ())]
        if self.junit is not None:
            from inngest_conformance._junit import write_junit

            self.written.append((write_junit(self.junit, reports), "JUnit XML"))
        if reports:
            append_step_summary(reports)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.written:
            terminalreporter.write_sep("-", "inngest-conformance report")
            for path, label in self.written:
                terminalreporter.write_line(f"written: {path} ({label})")
        for text in self.hints:
            terminalreporter.write_line(f"hint: {text}")
        if self.baseline is not None:
            from inngest_conformance._render import baseline_lines

            terminalreporter.write_sep("-", "inngest-conformance baseline")
            for line in baseline_lines(self.baseline):
                terminalreporter.write_line(line)


class CaseLogWriter:
    """Writes the case log at the end of the session from every process's part files.

    Registered only on the controller (or the only process).  It hears which requirements
    ran (the items' reports reach it under xdist too) and concatenates their parts by
    group (the options' implementation first, then each suite by folder) and, within a
    group, in catalogue order: the file does not depend on which worker ran what.
    """

    def __init__(self, config: pytest.Config, parts: Any) -> None:
        self.config = config
        self.parts = parts
        self.ran: dict[str, set[str]] = {}
        self.suites: dict[str, dict[str, Any]] = {}
        self.written: Path | None = None
        self.unwritten: str | None = None

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        props = _requirement_properties(report)
        if props is None:
            return
        group = _group(report.user_properties)
        if group:
            self.suites.setdefault(group, json.loads(str(props[SUITE_KEY])))
        self.ran.setdefault(group, set()).add(json.loads(str(props[RESULT_KEY]))["id"])

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        state = _state(self.config)
        order = [
            (rid, group)
            for group in sorted(self.ran)
            for rid in catalogue_order(state, self.suites.get(group))
            if rid in self.ran[group]
        ]
        try:
            self.unwritten = self.parts.merge(order, "--conformance-log-cases")
            if self.unwritten is None:
                self.written = self.parts.target
        finally:
            self.parts.remove()

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.written is not None:
            terminalreporter.write_line(f"inngest-conformance cases: {self.written}")
        if self.unwritten is not None:
            terminalreporter.write_line(f"inngest-conformance: warning: {self.unwritten}")

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        self.parts.remove()  # a session that never reached its end leaves no parts behind


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    state = session.config.stash.get(_STATE, None)
    if state is not None:
        state.close()


def suite_folder(nodeid: str) -> str:
    """A suite's report folder: its test's node id as one file name
    (``tests/test_store.py::test_conformance`` -> ``tests.test_store.test_conformance``)."""
    base = nodeid.split("[", 1)[0].replace(".py::", "::").replace("::", ".").replace("/", ".")
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", base).strip(".") or "suite"


def catalogue_order(state: _Session, suite: dict[str, Any] | None = None) -> list[str]:
    """The requirement ids of the options' implementation's catalogue, or a suite's."""
    from inngest_conformance._planning import context
    from inngest_conformance._requirements import catalogue

    ctx = context(suite["schema"], suite["lifecycle"]) if suite else state.ctx
    return [r.id for r in catalogue(ctx.schema, model=ctx.model)]


def session_report(
    state: _Session, rows: list[dict[str, Any]], suite: dict[str, Any] | None = None
) -> dict[str, Any]:
    """One implementation's report from its items' rows: the options' implementation, or a
    suite (``suite`` says which, with its own role, profile, schema and lifecycle model)."""

    from inngest_conformance._adapters.base import Description
    from inngest_conformance._engine import result_from_json
    from inngest_conformance._planning import context, covered_levels
    from inngest_conformance._requirements import catalogue
    from inngest_conformance._run import now_iso
    from inngest_conformance._vocabulary import ROLE_LEVELS
    from inngest_conformance.report import RunInfo, build_report

    ctx = context(suite["schema"], suite["lifecycle"]) if suite else state.ctx
    by_id = {r.id: r for r in catalogue(ctx.schema, model=ctx.model)}
    order = catalogue_order(state, suite)
    rows = sorted(rows, key=lambda row: order.index(row["id"]) if row["id"] in by_id else 0)
    results = [result_from_json(row, by_id[row["id"]]) for row in rows if row["id"] in by_id]
    role = results[0].requirement.role if results else "validator"
    words: list[str] = []
    if suite:
        name, profile = f"suite {suite['fixture']!r} ({suite['test']})", suite["profile"]
    else:
        words = invocation_words(state.config)
        name = next((v for n in IMPLEMENTATION_OPTIONS if (v := setting(state.config, n))), "")
        profile = state.profile
    info = RunInfo(
        ctx,
        role,
        profile,
        state.seed,
        Description(name=name or "pytest"),
        tuple(words),
        ROLE_LEVELS.get(role, ())
        if suite or role not in ROLE_LEVELS
        else covered_levels(role, levels_setting(state.config)),
        budget=None if suite else state.budget,
        database=not suite and state.database is not None,
    )
    duration = sum(r.duration_s for r in results)
    report = build_report(info, results, started_at=now_iso(), duration_s=duration)
    if suite:
        # The implementation lives in the project's fixture: pytest reruns it, not certify.
        for row in report["requirements"]:
            if "reproduce" in row:
                row.pop("replay", None)
                row.pop("rerun", None)
                for failure in row.get("failures", ()):
                    failure.pop("reproduce", None)
                row["reproduce"] = suite_command(suite["test"], row["id"], state.seed, profile)
    return report
