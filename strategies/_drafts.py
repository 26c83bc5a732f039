"""Every draft python-jsonschema reads, as one: a document of draft 4, 6, 7 or 2019-09
translated into an equivalent draft 2020-12 document before it is analysed.

The oracle, the generators and the near misses all read draft 2020-12; rather than teach
each of them five dialects, a document is rewritten once, keyword by keyword, into the
2020-12 spelling of the same rules: ``items: [..]`` is ``prefixItems`` and
``additionalItems`` is ``items``; ``dependencies`` is ``dependentRequired`` and
``dependentSchemas``; ``definitions`` is ``$defs`` (and references to it follow);
``$recursiveRef`` is a ``$ref`` where the document is one resource; draft 4's boolean
``exclusiveMinimum``/``exclusiveMaximum`` are the numbers of draft 6; ``id`` is ``$id``;
and up to draft 7 the siblings of a ``$ref`` are dropped, as those drafts ignore them.

A keyword the draft does not define is an annotation, and so is a ``format`` no draft
defines (a validator ignores a format it does not know) (draft 2020-12 says so, and the older
drafts ignore what they do not know): it is left out of the translation, wherever a keyword
may stand (never inside ``enum``, ``const``, ``default`` or ``examples``, never a property
name), and counted, so a report can say once what was not judged.  The implementation under
test is given the schema as published; only the kit reads the translation, and the tests
hold python-jsonschema's validator of the original draft on the original document and its
draft 2020-12 validator on the translation to the same verdict.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from inngest_conformance._encode import pointer
from inngest_conformance.errors import SchemaError
from inngest_conformance.strategies._formats import DIALECT_FORMATS, SUPPORTED_FORMATS

Draft = Literal["4", "6", "7", "2019-09", "2020-12"]
DRAFTS: tuple[Draft, ...] = ("4", "6", "7", "2019-09", "2020-12")
"""The drafts the kit reads, oldest first (what ``--draft`` takes)."""

DIALECTS: dict[Draft, str] = {
    "4": "http://json-schema.org/draft-04/schema#",
    "6": "http://json-schema.org/draft-06/schema#",
    "7": "http://json-schema.org/draft-07/schema#",
    "2019-09": "https://json-schema.org/draft/2019-09/schema",
    "2020-12": "https://json-schema.org/draft/2020-12/schema",
}
"""Each draft's ``$schema``, as its specification spells it."""

_SPELLINGS: dict[str, Draft] = {
    f"{scheme}://{uri.split('://', 1)[1].rstrip('#')}{end}": draft
    for draft, uri in DIALECTS.items()
    for scheme in ("http", "https")
    for end in ("", "#")
}

_META = {"title", "description", "default"}
_V4 = _META | {
    "$schema",
    "id",
    "$ref",
    "definitions",
    "type",
    "enum",
    "format",
    "multipleOf",
    "maximum",
    "exclusiveMaximum",
    "minimum",
    "exclusiveMinimum",
    "maxLength",
    "minLength",
    "pattern",
    "items",
    "additionalItems",
    "maxItems",
    "minItems",
    "uniqueItems",
    "maxProperties",
    "minProperties",
    "required",
    "properties",
    "patternProperties",
    "additionalProperties",
    "dependencies",
    "allOf",
    "anyOf",
    "oneOf",
    "not",
}
_V6 = (_V4 - {"id"}) | {"$id", "const", "contains", "propertyNames", "examples"}
_V7 = _V6 | {
    "$comment",
    "if",
    "then",
    "else",
    "readOnly",
    "writeOnly",
    "contentMediaType",
    "contentEncoding",
}
_V2019 = (_V7 - {"dependencies"}) | {
    "$anchor",
    "$recursiveRef",
    "$recursiveAnchor",
    "$vocabulary",
    "$defs",
    "dependentRequired",
    "dependentSchemas",
    "unevaluatedProperties",
    "unevaluatedItems",
    "maxContains",
    "minContains",
    "deprecated",
    "contentSchema",
}
_V2020 = (_V2019 - {"additionalItems", "$recursiveRef", "$recursiveAnchor"}) | {
    "prefixItems",
    "$dynamicRef",
    "$dynamicAnchor",
}
VOCABULARIES: dict[Draft, frozenset[str]] = {
    "4": frozenset(_V4),
    "6": frozenset(_V6),
    "7": frozenset(_V7),
    "2019-09": frozenset(_V2019),
    "2020-12": frozenset(_V2020),
}
"""The keywords each draft defines: any other is an annotation."""

#: Keywords that never change a verdict and that the kit does not read (a translation
#: leaves them out and counts them with the unknown ones).
_INERT = frozenset({"contentSchema", "$vocabulary"})
#: Keywords kept beside a ``$ref`` that up to draft 7 ignores its siblings: the places
#: other references may point into, and the words a reader sees.
_BESIDE_REF = frozenset({"definitions", "$defs", "title", "description", "$comment"})
#: What stays beside a ``$ref`` of 2019-09 and later rather than move into an ``allOf``.
_QUIET = frozenset(
    {
        "$schema",
        "$id",
        "$comment",
        "$anchor",
        "$defs",
        "title",
        "description",
        "examples",
        "default",
        "deprecated",
        "readOnly",
        "writeOnly",
        "contentMediaType",
        "contentEncoding",
    }
)
#: The formats some draft defines (2020-12's vocabulary holds every earlier draft's): any
#: other ``format`` is an annotation (a validator ignores a format it does not know), unless
#: the kit reads it (OpenAPI's ``int32``...).
DEFINED_FORMATS = DIALECT_FORMATS
_READ_FORMATS = DEFINED_FORMATS | set(SUPPORTED_FORMATS)
_ONE: tuple[str, ...] = ("additionalProperties", "not", "if", "then", "else", "contains")
_ONE += ("propertyNames", "unevaluatedProperties", "unevaluatedItems")
_MAPS = ("properties", "patternProperties", "dependentSchemas")
_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")


def read_draft(document: Mapping[str, Any], draft: str | None = None) -> Draft:
    """The draft ``document`` is written in: its ``$schema``, else ``draft``, else 2020-12.
    A ``$schema`` the kit does not read, or one ``draft`` contradicts, is refused."""
    if draft is not None and draft not in DRAFTS:
        raise SchemaError(f"draft {draft!r} is not one of {', '.join(DRAFTS)}")
    dialect = document.get("$schema")
    if dialect is None:
        return "2020-12" if draft is None else DRAFTS[DRAFTS.index(draft)]
    named = _SPELLINGS.get(dialect) if isinstance(dialect, str) else None
    if named is None:
        raise SchemaError(
            f"$schema is {dialect!r}; the kit reads drafts "
            + ", ".join(f"{d} ({DIALECTS[d]})" for d in DRAFTS)
        )
    if draft is not None and draft != named:
        raise SchemaError(f"$schema says draft {named} and --draft says {draft}: drop one of them")
    return named


@dataclass(frozen=True, slots=True)
class Translation:
    """A document in draft 2020-12, and what the translation left out."""

    document: dict[str, Any]
    draft: Draft
    """The draft the published document was read as."""
    ignored: Mapping[str, int]
    """Each keyword left out (unknown to the draft, inert, or beside a ``$ref`` the draft
    ignores), and each ``format NAME`` no draft defines, with how many times it occurs."""
    moves: Mapping[str, str] = field(default_factory=dict, repr=False)
    """Where a location of the translation came from, for each one whose pointer is not
    its parent's followed by the same tokens: ``/$defs/a`` from ``/definitions/a``."""

    def published_pointer(self, translated: str) -> str:
        """The published document's pointer to a location of the translation."""
        tokens = translated.split("/")
        for n in range(len(tokens), 0, -1):
            head = "/".join(tokens[:n])
            if head in self.moves:
                return self.moves[head] + "".join("/" + t for t in tokens[n:])
        return translated


def translate(document: Mapping[str, Any], draft: str | None = None) -> Translation:
    """``document`` (of the draft its ``$schema`` names, else ``draft``, else 2020-12) as an
    equivalent draft 2020-12 document; :class:`SchemaError` names what cannot be."""
    read = read_draft(document, draft)
    return _Translator(document, read).run()


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


class _Translator:
    def __init__(self, root: Mapping[str, Any], draft: Draft) -> None:
        self.root = root
        self.draft = draft
        self.known = VOCABULARIES[draft]
        self.ignored: Counter[str] = Counter()
        self.moves: dict[str, str] = {}
        self.refs: list[tuple[dict[str, Any], str, str]] = []
        """Each ``$ref`` of the translation: the object holding it, where, and its value."""
        self.ref_of: dict[int, int] = {}
        self.extra_defs: dict[str, Any] = {}
        self.copied: dict[str, str] = {}
        self.recursive: list[str] = []
        self.resources: list[str] = []

    def run(self) -> Translation:
        out = self.schema(self.root, "", "", root=True)
        assert isinstance(out, dict)
        out["$schema"] = DIALECTS["2020-12"]
        # References are followed once every location has its new place; a reference to a
        # place that is no subschema of the translation gets a copy of its target in $defs.
        while self.refs:
            holder, where, ref = self.refs.pop()
            holder["$ref"] = self.moved(ref, where)
        if self.extra_defs:
            out.setdefault("$defs", {}).update(self.extra_defs)
        if self.recursive and self.resources:
            raise SchemaError(
                f"{self.recursive[0] or '#'}: $recursiveRef in a document with embedded "
                f"resources ($id at {self.resources[0]}); the kit follows $recursiveRef "
                "within a single resource"
            )
        return Translation(out, self.draft, dict(sorted(self.ignored.items())), self.moves)

    def place(self, old: str, new: str) -> None:
        if old != new:
            self.moves[new] = old

    def schema(self, raw: Any, old: str, new: str, *, root: bool = False) -> Any:
        if not isinstance(raw, dict):
            return raw  # a boolean schema, or what the compiler will refuse naming it
        old_ref = raw.get("$ref")
        if self.draft in ("4", "6", "7") and old_ref is not None:
            dropped = [k for k in raw if k not in _BESIDE_REF and k != "$ref"]
            self.ignored.update(k for k in dropped if not (root and k == "$schema"))
            raw = {k: v for k, v in raw.items() if k in _BESIDE_REF or k == "$ref"}
        out: dict[str, Any] = {}
        for key, value in raw.items():
            if key == "$schema":
                if not root and _SPELLINGS.get(value) != self.draft:
                    raise SchemaError(
                        f"{old}: $schema {value!r} inside a document of draft {self.draft}; "
                        "the kit reads one draft a document"
                    )
                continue
            if key in ("definitions", "$defs"):
                self.definitions(out, key, value, old, new)
                continue
            if key not in self.known or key in _INERT:
                self.ignored[key] += 1
                continue
            self.keyword(out, raw, key, value, old, new)
        if "$ref" in out and self.draft in ("2019-09", "2020-12") and not root:
            loud = [k for k in out if k not in _QUIET and k != "$ref"]
            if loud:
                # A $ref's siblings apply beside it: the same rules as an allOf of the two.
                wrapped = {"$ref": out.pop("$ref")}
                branches = out.setdefault("allOf", [])
                if not isinstance(branches, list):
                    return out  # an allOf the compiler will refuse, naming it
                n = self.ref_of.pop(id(out), None)
                if n is not None:
                    self.refs[n] = (wrapped, *self.refs[n][1:])
                index = len(branches)
                branches.append(wrapped)
                self.moves[f"{new}/allOf/{index}"] = old
        return out

    def definitions(self, out: dict[str, Any], key: str, value: Any, old: str, new: str) -> None:
        if not isinstance(value, dict):
            if key == "$defs":
                out["$defs"] = value  # the compiler names what is wrong
            else:
                self.ignored[key] += 1
            return
        defs = out.setdefault("$defs", {})
        for name, sub in value.items():
            if name in defs:
                raise SchemaError(
                    f"{old or '#'}: definitions and $defs both define {name!r}; keep one of them"
                )
            where = new + pointer("$defs", name)
            self.place(old + pointer(key, name), where)
            defs[name] = self.schema(sub, old + pointer(key, name), where)

    def keyword(
        self, out: dict[str, Any], raw: dict[str, Any], key: str, value: Any, old: str, new: str
    ) -> None:
        sub = self.schema
        if key == "id" or (key == "$id" and old):
            if isinstance(value, str) and not value.startswith("#") and old:
                self.resources.append(old)
            if key == "id":
                out["$id"] = value
                return
        if key == "format" and isinstance(value, str) and value not in _READ_FORMATS:
            self.ignored[f"format {value}"] += 1
            return
        if key == "$ref":
            out["$ref"] = value
            if isinstance(value, str):
                self.ref_of[id(out)] = len(self.refs)
                self.refs.append((out, old or "#", value))
        elif key == "$recursiveRef":
            self.recursive.append(old)
            # Within one resource the dynamic scope holds nothing but the document itself,
            # which is where the reference leads whatever it says.
            if "$ref" in raw:
                out.setdefault("allOf", []).append({"$ref": "#"})
            else:
                out["$ref"] = "#"
        elif key == "$recursiveAnchor":
            return
        elif key in ("exclusiveMaximum", "exclusiveMinimum") and self.draft == "4":
            bound = "maximum" if key == "exclusiveMaximum" else "minimum"
            if value and bound in raw:
                out[key] = raw[bound]
                out.pop(bound, None)
        elif key in ("maximum", "minimum") and self.draft == "4":
            exclusive = "exclusiveMaximum" if key == "maximum" else "exclusiveMinimum"
            if not raw.get(exclusive):
                out[key] = value
        elif key == "items" and isinstance(value, list) and self.draft != "2020-12":
            out["prefixItems"] = [
                sub(s, f"{old}/items/{i}", self.at(f"{old}/items/{i}", f"{new}/prefixItems/{i}"))
                for i, s in enumerate(value)
            ]
            if "additionalItems" in raw:
                place = self.at(f"{old}/additionalItems", f"{new}/items")
                out["items"] = sub(raw["additionalItems"], f"{old}/additionalItems", place)
        elif key == "additionalItems":
            return  # read with its items; without an array of items it says nothing
        elif key == "dependencies" and isinstance(value, dict):
            for name, dep in value.items():
                if isinstance(dep, list):
                    out.setdefault("dependentRequired", {})[name] = dep
                else:
                    where = self.at(
                        old + pointer("dependencies", name),
                        new + pointer("dependentSchemas", name),
                    )
                    out.setdefault("dependentSchemas", {})[name] = sub(
                        dep, old + pointer("dependencies", name), where
                    )
        elif key in _ONE or key == "items":
            out[key] = sub(value, f"{old}/{key}", f"{new}/{key}")
        elif key in _MAPS and isinstance(value, dict):
            out[key] = {
                name: sub(s, old + pointer(key, name), new + pointer(key, name))
                for name, s in value.items()
            }
        elif key in _LISTS and isinstance(value, list):
            out[key] = [sub(s, f"{old}/{key}/{i}", f"{new}/{key}/{i}") for i, s in enumerate(value)]
        else:
            out[key] = value

    def at(self, old: str, new: str) -> str:
        self.place(old, new)
        return new

    def moved(self, ref: str, where: str) -> str:
        """``ref`` pointing at the same location in the translation."""
        if not ref.startswith("#/"):
            return ref  # the whole document, an anchor, or another document: as it was
        tokens = [_unescape(t) for t in ref[2:].split("/")]
        node: Any = self.root
        out: list[str] = []
        i = 0
        while i < len(tokens):
            if not isinstance(node, dict) or tokens[i] not in node:
                return ref  # pointing at nothing: the compiler says so
            key, value = tokens[i], node[tokens[i]]
            name = tokens[i + 1] if i + 1 < len(tokens) else None
            beside_ref = self.draft in ("4", "6", "7") and "$ref" in node
            if beside_ref and key not in _BESIDE_REF:
                return self.copy(ref, tokens)
            if key in ("definitions", "$defs") and isinstance(value, dict) and name in value:
                assert name is not None
                out += ["$defs", name]
                node, i = value[name], i + 2
            elif key == "items" and isinstance(value, list) and self.draft != "2020-12":
                if name is None or not name.isdigit() or int(name) >= len(value):
                    return self.copy(ref, tokens)
                out += ["prefixItems", name]
                node, i = value[int(name)], i + 2
            elif key == "additionalItems" and isinstance(node.get("items"), list):
                out.append("items")
                node, i = value, i + 1
            elif key == "dependencies" and isinstance(value, dict) and name in value:
                assert name is not None
                if isinstance(value[name], list):
                    return self.copy(ref, tokens)
                out += ["dependentSchemas", name]
                node, i = value[name], i + 2
            elif (key in _ONE or key == "items") and key in self.known:
                out.append(key)
                node, i = value, i + 1
            elif key in (*_MAPS, *_LISTS) and key in self.known and name is not None:
                child = value.get(name) if isinstance(value, dict) else None
                if isinstance(value, list) and name.isdigit() and int(name) < len(value):
                    child = value[int(name)]
                if child is None:
                    return ref
                out += [key, name]
                node, i = child, i + 2
            else:
                return self.copy(ref, tokens)
        return "#" + pointer(*out)

    def copy(self, ref: str, tokens: list[str]) -> str:
        """A reference to a place the translation does not hold as a subschema (inside
        an unknown keyword, or beside a ``$ref`` of draft 7): its target, translated, put
        in ``$defs`` under the reference itself, and the reference pointed there."""
        known = self.copied.get(ref)
        if known is not None:
            return known
        target: Any = self.root
        for token in tokens:
            if isinstance(target, list) and token.isdigit() and int(token) < len(target):
                target = target[int(token)]
            elif isinstance(target, dict) and token in target:
                target = target[token]
            else:
                return ref  # pointing at nothing: the compiler says so
        name = ref
        while name in self.extra_defs or name in (self.root.get("$defs") or {}):
            name += "'"
        new = "#" + pointer("$defs", name)
        self.copied[ref] = new
        old = pointer(*tokens)
        self.moves[pointer("$defs", name)] = old
        self.extra_defs[name] = self.schema(target, old, pointer("$defs", name))
        return new
