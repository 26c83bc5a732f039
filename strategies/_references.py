"""References to other documents, followed offline from a folder of schemas.

A schema read from a file may ``$ref`` a document next to it (``"user.json"``,
``"defs/item.json#/$defs/item"``) or one whose ``$id`` a file of that folder carries
(``"https://example.com/item.json"``).  Each document referred to is read from the folder
once and put into the schema's own ``$defs`` (under ``bundled:`` and its path in the
folder), and every reference to it, and every reference within it, is rewritten to point
there: the result is one self-contained document, so the compiler, the oracle and the
worker processes (which get the document, see :class:`.RunSchema`) read it as any other.
Nothing is fetched from a network: a reference the folder does not hold is refused in one
line naming it.
"""

from __future__ import annotations

import copy
import json
import os
import posixpath
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urljoin

from inngest_conformance._encode import escape_pointer
from inngest_conformance.errors import SchemaError
from inngest_conformance.strategies._files import read_text
from inngest_conformance.strategies._limits import JSON_HOOKS, check_document

DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"

#: Keywords whose values are data, not subschemas: a ``$ref`` key inside them is a value.
_DATA = frozenset({"enum", "const", "examples", "default"})

#: The most documents one schema's references may reach in a folder.
MAX_DOCUMENTS = 1000


def external_references(document: Any) -> list[tuple[str, str]]:
    """``(pointer, $ref)`` of each reference to another document, in document order."""
    out = []
    stack: list[tuple[Any, str]] = [(document, "")]
    while stack:
        value, where = stack.pop()
        if isinstance(value, dict):
            ref = value.get("$ref")
            if isinstance(ref, str) and not ref.startswith("#"):
                out.append((where or "#", ref))
            stack += [
                (v, f"{where}/{escape_pointer(k)}")
                for k, v in reversed(list(value.items()))
                if k not in _DATA
            ]
        elif isinstance(value, list):
            stack += [(v, f"{where}/{i}") for i, v in reversed(list(enumerate(value)))]
    return out


class _Folder:
    """The schemas of a folder, read when first referred to: by path, and by ``$id``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._ids: dict[str, str] | None = None

    def by_path(self, relative: str) -> Path | None:
        path = (self.folder / relative).resolve()
        root = self.folder.resolve()
        if root != path and root not in path.parents:
            return None  # ``../`` out of the folder: not a schema the user gave
        return path if path.is_file() else None

    def by_id(self, uri: str) -> str | None:
        """The path (in the folder) of the file whose ``$id`` is ``uri``."""
        if self._ids is None:
            self._ids = {}
            for path in sorted(self.folder.rglob("*.json"))[:MAX_DOCUMENTS]:
                try:
                    doc = json.loads(path.read_text("utf-8"))
                except (OSError, ValueError):
                    continue
                if isinstance(doc, dict) and isinstance(doc.get("$id"), str):
                    self._ids.setdefault(doc["$id"].rstrip("#"), self._relative(path))
        uri = uri.rstrip("#")
        found = self._ids.get(uri)
        if found is not None:
            return found
        # Beside a document of known $id: ``https://x/defs/a.json`` held at ``defs/a.json``
        # puts ``https://x/defs/b.json`` at ``defs/b.json``.
        for known, relative in self._ids.items():
            base = known.rsplit("/", 1)[0] + "/"
            if "/" in known and uri.startswith(base):
                candidate = posixpath.join(posixpath.dirname(relative), uri[len(base) :])
                if self.by_path(candidate) is not None:
                    return candidate
        return None

    def _relative(self, path: Path) -> str:
        return path.resolve().relative_to(self.folder.resolve()).as_posix()

    def read(self, relative: str, ref: str, where: str) -> dict[str, Any]:
        path = self.folder / relative
        text = read_text(path, "schema", SchemaError)
        try:
            doc = json.loads(text, **JSON_HOOKS)
        except (json.JSONDecodeError, RecursionError) as exc:
            raise SchemaError(f"{where}: $ref {ref!r}: {relative} is not JSON: {exc}") from None
        if not isinstance(doc, dict):
            raise SchemaError(f"{where}: $ref {ref!r}: {relative} is not a schema object")
        check_document(doc, relative, SchemaError)
        dialect = doc.get("$schema", DRAFT_2020_12)
        if not isinstance(dialect, str) or dialect.rstrip("#") != DRAFT_2020_12:
            raise SchemaError(
                f"{where}: $ref {ref!r}: {relative} is {dialect!r}; the kit reads draft "
                f"2020-12 ({DRAFT_2020_12})"
            )
        return doc


def bundle(document: Mapping[str, Any], folder: str | os.PathLike[str]) -> dict[str, Any]:
    """``document`` with every document its references reach in ``folder`` put in its
    ``$defs`` and every reference rewritten to point there (see the module doc); the
    document itself when it refers to no other."""
    if not external_references(document):
        return dict(document)
    files = _Folder(Path(folder))
    out = copy.deepcopy(dict(document))
    root_id = out.get("$id") if isinstance(out.get("$id"), str) else None
    bundled: dict[str, Any] = {}
    # (the schema holding refs, its own $id base, its path base, its pointer in the bundle)
    pending: list[tuple[Any, str | None, str, str]] = [(out, root_id, "", "")]
    while pending:
        holder, id_base, path_base, prefix = pending.pop()
        for where, ref, node in _refs(holder):
            uri, fragment = urldefrag(ref)
            if fragment and not fragment.startswith("/"):
                raise SchemaError(
                    f"{prefix + where}: $ref {ref!r} names an anchor in another document; "
                    "the kit follows JSON pointers there ('other.json#/$defs/x')"
                )
            if not uri:  # within the document holding it
                node["$ref"] = "#" + prefix + fragment
                continue
            absolute = urljoin(id_base, uri) if id_base else uri
            if root_id is not None and absolute.rstrip("#") == root_id.rstrip("#"):
                node["$ref"] = "#" + fragment
                continue
            relative = files.by_id(absolute) or _normalised(urljoin(path_base, uri))
            if relative is None or files.by_path(relative) is None:
                raise SchemaError(
                    f"{prefix + where or '#'}: $ref {ref!r} is not a schema of "
                    f"{Path(folder).resolve()} "
                    "(by its path there or by a file's $id); the kit reads other "
                    "documents from the schema's folder only, never from a network"
                )
            key = "bundled:" + relative
            target = "/$defs/" + escape_pointer(key)
            if key not in bundled:
                if len(bundled) >= MAX_DOCUMENTS:
                    raise SchemaError(f"{where}: references reach past {MAX_DOCUMENTS} documents")
                doc = files.read(relative, ref, prefix + where or "#")
                own_id = doc.pop("$id", None)
                doc.pop("$schema", None)
                bundled[key] = doc
                pending.append(
                    (doc, own_id if isinstance(own_id, str) else absolute, relative, target)
                )
            node["$ref"] = "#" + target + fragment
    defs = out.setdefault("$defs", {})
    if not isinstance(defs, dict):
        raise SchemaError("the schema's '$defs' must be an object")
    defs.update(bundled)
    return out


def _normalised(relative: str) -> str | None:
    """A relative path in the folder, or ``None`` for a URI with a scheme (``https:``)."""
    if ":" in relative.split("/", 1)[0]:
        return None
    return posixpath.normpath(relative)


def _refs(holder: Any) -> list[tuple[str, str, dict[str, Any]]]:
    """``(pointer, $ref, the schema holding it)`` of every reference in ``holder``, both
    within and out of it, found before any is rewritten (so each is rewritten once)."""
    out = []
    stack: list[tuple[Any, str]] = [(holder, "")]
    while stack:
        value, where = stack.pop()
        if isinstance(value, dict):
            if isinstance(value.get("$ref"), str):
                out.append((where, value["$ref"], value))
            stack += [
                (v, f"{where}/{escape_pointer(k)}") for k, v in value.items() if k not in _DATA
            ]
        elif isinstance(value, list):
            stack += [(v, f"{where}/{i}") for i, v in enumerate(value)]
    return out
