"""The house rules of the package's structure, checked on the installed modules' imports.

* No import cycle among the kit's modules, lazy (function-level) imports included: a cycle
  hidden behind an import inside a function is still a cycle for whoever changes the code.
  Imports for type checking only (``if TYPE_CHECKING:``) are left out: they run never.
* The layers: ``inngest_conformance.strategies`` (generation, the oracle, the lifecycle
  model) sits below the rest and imports from the root package only its leaf modules
  (errors, the typed vocabulary and the shared encodings).
* Across packages, public names go by public paths: a module outside a public package
  (``strategies``) imports what that package exports (its ``__all__``) from the package
  itself, not from its private modules; and no module imports a name that starts with
  ``_`` from another package.  (``_adapters`` is private to the root package, which is
  its only client.)
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import pkgutil
from pathlib import Path

ROOT = "inngest_conformance"
LOWER = f"{ROOT}.strategies"
#: What the lower layer may import from the root package: modules that import nothing of
#: the kit themselves.
LEAVES = {f"{ROOT}.errors", f"{ROOT}._vocabulary", f"{ROOT}._encode"}


def _modules() -> dict[str, Path]:
    """Every module of the kit, by name, with its file (each package walked on its own
    path: an editable install maps the subpackages from folders of their own)."""
    found: dict[str, Path] = {}
    packages = [ROOT, LOWER]
    while packages:
        package = importlib.import_module(packages.pop())
        assert package.__file__ is not None
        if package.__name__ in found:
            continue
        found[package.__name__] = Path(package.__file__)
        for info in pkgutil.iter_modules(package.__path__, f"{package.__name__}."):
            if info.ispkg:
                packages.append(info.name)
            else:
                spec = importlib.util.find_spec(info.name)
                assert spec is not None and spec.origin is not None
                found[info.name] = Path(spec.origin)
    return found


MODULES = _modules()


def _package(module: str) -> str:
    """The package a module belongs to (a package belongs to itself)."""
    path = MODULES[module]
    return module if path.name == "__init__.py" else module.rpartition(".")[0]


def _resolve(module: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = _package(module).split(".")
    base = base[: len(base) - node.level + 1]
    return ".".join([*base, *([node.module] if node.module else [])])


def _runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """The nodes of ``tree`` that may run: ``if TYPE_CHECKING:`` bodies left out."""
    out: list[ast.AST] = []
    todo = [tree]
    while todo:
        node = todo.pop()
        out.append(node)
        if isinstance(node, ast.If) and ast.unparse(node.test) in TYPE_CHECKING_TESTS:
            todo += node.orelse
            continue
        todo += ast.iter_child_nodes(node)
    return out


TYPE_CHECKING_TESTS = {"TYPE_CHECKING", "typing.TYPE_CHECKING"}


def _imports(module: str) -> list[tuple[str, str | None]]:
    """(module imported, name taken from it or None) for every kit import in ``module``."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    out: list[tuple[str, str | None]] = []
    for node in _runtime_nodes(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, None) for a in node.names if a.name.startswith(ROOT)]
        elif isinstance(node, ast.ImportFrom):
            source = _resolve(module, node)
            if not source.startswith(ROOT):
                continue
            for alias in node.names:
                sub = f"{source}.{alias.name}"
                out.append((sub, None) if sub in MODULES else (source, alias.name))
    return out


def _graph() -> dict[str, set[str]]:
    return {m: {target for target, _ in _imports(m) if target != m} for m in MODULES}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph``, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_checks_see_every_module_and_import() -> None:
    assert {f"{ROOT}._engine", f"{LOWER}._oracle", f"{ROOT}._adapters.base"} <= set(MODULES)
    assert f"{ROOT}._requirements" in _graph()[f"{ROOT}._engine"]
    # A cycle is found when there is one.
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_the_import_graph_has_no_cycle() -> None:
    assert _cycle(_graph()) is None


def test_the_lower_layer_imports_only_the_root_packages_leaves() -> None:
    upward = sorted(
        f"{module} imports {target}"
        for module in MODULES
        if module.startswith(LOWER)
        for target, _ in _imports(module)
        if not target.startswith(LOWER) and target not in LEAVES
    )
    assert upward == []
    for leaf in LEAVES:
        assert not _graph()[leaf] - {f"{ROOT}.errors"}, f"{leaf} must stay a leaf"


def test_public_names_go_by_public_paths_across_packages() -> None:
    exported = {
        package: set(getattr(importlib.import_module(package), "__all__", ()))
        for package in {_package(m) for m in MODULES}
    }
    wrong = []
    for module in MODULES:
        for target, name in _imports(module):
            if name is None or _package(target) == _package(module):
                continue
            owner = _package(target)
            if name.startswith("_"):
                wrong.append(f"{module} imports private {name} from {target}")
            elif target != owner and name in exported[owner] and "._" not in f".{owner}":
                wrong.append(f"{module} imports {name} from {target}, not from {owner}")
    assert wrong == []
