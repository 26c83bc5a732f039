"""The documentation holds to the code: the generated reference pages are what a fresh
generation writes, the module map names every module, the README stays short and every
relative link of the README and the pages leads to a file, every page is in the site's
navigation, the licence file is the declared licence, and nox runs what CI runs.

The pages' code blocks are run by ``tests/test_readme.py``; ``mkdocs build --strict`` (in
``.ci/run``) checks the site's own links and anchors.
"""

from __future__ import annotations

import ast
import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from tests.common import ROOT

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

DOCS = ROOT / "docs"
PAGES = sorted(DOCS.rglob("*.md"))
LINK = re.compile(r"\]\((?P<target>[^)\s]+)\)")


def _load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GENERATOR = _load(DOCS / "gen_reference.py", "gen_reference")


@pytest.mark.parametrize("name", sorted(GENERATOR.PAGES))
def test_a_generated_page_is_what_the_generator_writes(name: str) -> None:
    checked_in = (DOCS / "reference" / name).read_text(encoding="utf-8")
    assert checked_in == GENERATOR.PAGES[name](), (
        f"docs/reference/{name} is out of date: run python docs/gen_reference.py"
    )


def test_the_generated_reference_names_every_option_and_requirement() -> None:
    """The pages are generated from the parser and the catalogue, not written beside them."""
    from inngest_conformance._cli import build_parser
    from inngest_conformance.plugin import OPTIONS, option_name

    cli = (DOCS / "reference" / "cli.md").read_text(encoding="utf-8")
    parser = build_parser()
    (sub,) = (a for a in parser._actions if a.dest == "command_name")
    assert sub.choices is not None
    for command, child in dict(sub.choices).items():
        assert f"\n## {command}\n" in cli
        for action in child._actions:
            for flag in action.option_strings:
                if flag not in ("-h", "--help"):
                    assert f"`{flag}`" in cli, (command, flag)
    plugin = (DOCS / "reference" / "pytest-options.md").read_text(encoding="utf-8")
    assert all(f"`{option_name(n)}`" in plugin for n in OPTIONS)
    catalogue = (DOCS / "reference" / "requirements.md").read_text(encoding="utf-8")
    assert catalogue.count("| `schema:") + catalogue.count("| `format:") == 22
    assert catalogue.count("| `lifecycle:") == 12


def test_the_check_mode_finds_a_stale_page(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setattr(GENERATOR, "REFERENCE", tmp_path)
    monkeypatch.setattr(GENERATOR, "PAGES", {"cli.md": GENERATOR.cli_page})
    assert GENERATOR.main([]) == 0
    assert GENERATOR.main(["--check"]) == 0
    (tmp_path / "cli.md").write_text("# Command line\n", encoding="utf-8")
    assert GENERATOR.main(["--check"]) == 1


def _modules_named_in_the_map() -> set[str]:
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    return set(re.findall(r"^- `((?:conformance|strategies)/[\w/]+\.py)` — \S", text, re.M))


def test_the_module_map_names_every_module_once() -> None:
    on_disk = {
        p.relative_to(ROOT).as_posix()
        for folder in ("conformance", "strategies")
        for p in (ROOT / folder).rglob("*.py")
    }
    named = _modules_named_in_the_map()
    assert on_disk - named == set(), "modules missing from ARCHITECTURE.md's map"
    assert named - on_disk == set(), "ARCHITECTURE.md names modules that do not exist"
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    assert all(text.count(f"`{m}`") == 1 for m in named)


def test_the_readme_is_short() -> None:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 200


def _relative_links(page: Path) -> list[str]:
    text = re.sub(r"^```.*?^```$", "", page.read_text(encoding="utf-8"), flags=re.M | re.S)
    out = []
    for m in LINK.finditer(text):
        target = m["target"]
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue
        out.append(target.partition("#")[0])
    return out


@pytest.mark.parametrize(
    "page",
    [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *PAGES],
    ids=lambda p: p.relative_to(ROOT).as_posix(),
)
def test_every_relative_link_leads_to_a_file(page: Path) -> None:
    missing = [t for t in _relative_links(page) if not (page.parent / t).exists()]
    assert missing == []


def test_the_link_check_finds_a_missing_file(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("[a](there.md) [b](#here) [c](https://example.com)\n```\n[d](x.md)\n```\n")
    assert _relative_links(page) == ["there.md"]


def _nav_files(node: Any) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, list):
        return [f for item in node for f in _nav_files(item)]
    if isinstance(node, dict):
        return [f for value in node.values() for f in _nav_files(value)]
    return []


def test_every_page_is_in_the_navigation_once() -> None:
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    nav = _nav_files(config["nav"])
    assert sorted(nav) == sorted(p.relative_to(DOCS).as_posix() for p in PAGES)
    assert len(nav) == len(set(nav))


def test_the_licence_file_is_the_declared_licence() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["license"] == {"text": "MIT"}
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License\n")
    assert "Permission is hereby granted, free of charge, to any person obtaining a copy" in text
    assert 'THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND' in text


def _ci_commands() -> str:
    """``.ci/run`` with its venv prefixes dropped (``"$V/ruff"`` is ``ruff``) and the
    configuration named as nox names it."""
    text = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    text = re.sub(r'"\$\w+/([^"]*)"', r"\1", text)
    return text.replace("$ROOT/pyproject.toml", "pyproject.toml")


def _nox_constants() -> dict[str, Any]:
    tree = ast.parse((ROOT / "noxfile.py").read_text(encoding="utf-8"))
    return {
        node.targets[0].id: ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign)
        and isinstance(node.targets[0], ast.Name)
        and node.targets[0].id.isupper()
        and isinstance(node.value, ast.Tuple)
    }


def test_nox_runs_the_commands_ci_runs() -> None:
    ci = _ci_commands()
    nox = _nox_constants()
    commands = [
        *nox["LINT"],
        nox["TYPES_PACKAGE"],
        nox["TYPES_TESTS"],
        nox["SUITE"],
        *nox["DOCS"],
    ]
    assert len(commands) == 7
    for command in commands:
        assert " ".join(command) in ci, f"noxfile.py runs {command}, .ci/run does not"
