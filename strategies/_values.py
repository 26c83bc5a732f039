"""The values records are made of: strings (adversarial and realistic), ids, JSON values.

Shared by the run record's generator (:mod:`._records`) and the subschema compiler
(:mod:`._subschema`), so that a string or an id is generated one way wherever it is.
"""

from __future__ import annotations

import ast
import importlib.util
from base64 import b32encode
from collections.abc import Callable
from pathlib import Path
from typing import Any

from inngest_conformance.strategies._source import ASCII_PRINTABLE, AWKWARD_CHARACTERS, Source

JSON_TYPES = ("null", "boolean", "integer", "number", "string", "array", "object")

#: Look-alike letters from other scripts (Cyrillic, Armenian, Cherokee).
HOMOGLYPHS = {
    "A": "А",
    "C": "С",
    "E": "Е",
    "I": "І",
    "O": "О",
    "P": "Р",
    "S": "Ѕ",
    "a": "а",
    "c": "с",
    "e": "е",
    "i": "і",
    "o": "о",
    "p": "р",
    "s": "ѕ",
    "U": "Ս",
    "D": "Ꭰ",
}


def near_misses(name: str) -> tuple[str, ...]:
    """Names an implementation may take for ``name``: camelCase, kebab-case, other case,
    surrounding space, plural, a zero-width space, a look-alike first letter."""
    parts = name.split("_")
    camel = parts[0] + "".join(p[:1].upper() + p[1:] for p in parts[1:])
    lookalike = "".join(HOMOGLYPHS.get(c, c) for c in name[:1]) + name[1:]
    return (
        camel,
        name.replace("_", "-"),
        name[:1].upper() + name[1:],
        name + " ",
        " " + name,
        name.upper(),
        name.replace("_", ""),
        name + "s",
        name.replace("_", "."),
        name[:1] + "\u200b" + name[1:],
        lookalike,
        camel[:1].upper() + camel[1:],
    )


CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_TO_CROCKFORD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", CROCKFORD)


def faker_words() -> tuple[str, ...]:
    """Faker's English lorem word list, as it is in Faker's source.

    Importing any part of Faker first builds its table of every locale, about 0.3 s of CPU:
    a third of the kit's start-up, paid by every process that generates a record (each
    ``certify`` run, each worker).  The list is a literal in one file, so it is read from
    there; should a Faker release move it, the import is the fallback.
    """
    spec = importlib.util.find_spec("faker")  # finds the package without importing it
    locations = spec.submodule_search_locations if spec else None
    if locations:
        path = Path(next(iter(locations)), "providers", "lorem", "en_US", "__init__.py")
        try:
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == "word_list" for t in node.targets
                ):
                    words = ast.literal_eval(node.value)
                    if isinstance(words, tuple) and words:
                        return tuple(str(w) for w in words)
        except (OSError, SyntaxError, ValueError):
            pass
    from faker.providers.lorem.en_US import Provider

    return tuple(Provider.word_list)


WORDS: tuple[str, ...] = tuple(w for w in faker_words() if w.isascii() and w.isalpha())

#: Strings a schema's plain ``string`` allows and implementations still get wrong.
ADVERSARIAL_STRINGS: tuple[str, ...] = (
    "",
    " ",
    "\x00",
    "\t\n\r",
    "\x1b[31mred\x1b[0m",
    "<script>alert(1)</script>",
    "'; DROP TABLE runs; --",
    "null",
    "QUEUED",
    "\u202eevil",
    "\ufeffbom",
    "z\u0301\u0302\u0303",
    "日本語のテキスト",
    "😀🏳️‍🌈𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
    "\U0010ffff",
    "a" * 10_000,
)

#: Unix milliseconds of 2019-01-01 and 2027-12-31: the span of realistic ULID timestamps.
_ULID_MS = (1_546_300_800_000, 1_830_211_200_000)


def ulid(ms: int, entropy: int) -> str:
    """A ULID: 48-bit millisecond time and 80 bits of entropy in Crockford base32."""
    n = (ms << 80) | entropy  # 128 bits, written as 26 five-bit digits (130 bits)
    # base64's base-32 alphabet is the same digits in another order: encode 160 bits (the
    # 130 we want, then 30 zero bits) and keep the first 26 characters.
    return b32encode((n << 30).to_bytes(20, "big"))[:26].decode().translate(_TO_CROCKFORD)


def gen_ulid(src: Source) -> str:
    # One draw for both parts: the high bits pick the time, the low 80 the entropy.
    n = src.integer(0, 2**128 - 1)
    span = _ULID_MS[1] - _ULID_MS[0] + 1
    return ulid(_ULID_MS[0] + (n >> 80) % span, n & (2**80 - 1))


def gen_uuid(src: Source) -> str:
    n = src.integer(0, 2**128 - 1)
    n = (n & ~(0xF << 76)) | (0x4 << 76)  # version 4
    n = (n & ~(0x3 << 62)) | (0x2 << 62)  # RFC 4122 variant
    h = f"{n:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def gen_slug(src: Source) -> str:
    # Two choices however many words: how many, and which (the digits of one integer in
    # base len(WORDS)); it shrinks to the first word alone.
    n = src.integer(1, 4)
    index = src.integer(0, len(WORDS) ** n - 1)
    words = []
    for _ in range(n):
        index, i = divmod(index, len(WORDS))
        words.append(WORDS[i])
    return "-".join(words)


_ID_STYLES = ("ulid", "uuid", "slug", "prefixed")


def gen_realistic_string(src: Source, name: str, style: str | None = None) -> str:
    """A value shaped like what the platform puts in a property of this name (for an id,
    in ``style``, or one drawn)."""
    if name == "id" or name.endswith("_id"):
        style = style or src.choice(_ID_STYLES)
        if style == "ulid":
            return gen_ulid(src)
        if style == "uuid":
            return gen_uuid(src)
        if style == "prefixed":
            return f"{name.removesuffix('_id') or 'id'}_{gen_ulid(src)}"
    return gen_slug(src)


#: Any character, printable ASCII and :data:`AWKWARD_CHARACTERS` weighted up.
_ADVERSARIAL_ALPHABET = ASCII_PRINTABLE + AWKWARD_CHARACTERS


def gen_adversarial_string(src: Source, style: int | None = None) -> str:
    """A string the schema allows that implementations tend to mishandle (of ``style``
    0-3, or one drawn)."""
    style = src.integer(0, 3) if style is None else style
    if style == 0:
        return src.choice(ADVERSARIAL_STRINGS)
    if style == 1:
        return src.text(None, 0, 12)
    if style == 2:
        return src.text(_ADVERSARIAL_ALPHABET, 0, 40)
    return src.choice(ADVERSARIAL_STRINGS[:3]) * src.integer(1, 3) + src.text(None, 0, 4)


#: What :func:`gen_string` makes, in one choice: an adversarial string of each style 2 times
#: in 20 (first, so that a string shrinks to the first adversarial one, ``""``), and a
#: realistic one of each id style 3 times in 20.
_STRING_STYLES: tuple[int | str, ...] = (
    *(style for style in range(4) for _ in range(2)),
    *(style for style in _ID_STYLES for _ in range(3)),
)


def gen_string(src: Source, name: str = "") -> str:
    style = src.choice(_STRING_STYLES)
    if isinstance(style, int):
        return gen_adversarial_string(src, style)
    return gen_realistic_string(src, name, style)


_SCALARS = ("null", "boolean", "integer", "number", "string")
#: Integers worth trying; ``None`` stands for one drawn from a range.
_INTEGERS = (0, 1, -1, 2**53, -(2**53), 2**63, None)


def gen_json(src: Source, *, depth: int = 2, kinds: tuple[str, ...] = JSON_TYPES) -> Any:
    """Any JSON value of one of ``kinds``: deep and wide containers of every type."""
    kind = src.choice(kinds if depth > 0 else tuple(k for k in kinds if k in _SCALARS) or kinds)
    if kind == "null":
        return None
    if kind == "boolean":
        return src.boolean()
    if kind == "integer":
        value = src.choice(_INTEGERS)
        return src.integer(-(10**6), 10**6) if value is None else value
    if kind == "number":
        return src.floating()
    if kind == "string":
        return gen_string(src)
    if kind == "array":
        return [gen_json(src, depth=depth - 1) for _ in range(src.integer(0, 4))]
    return gen_object(src, depth=depth)


#: Values of a wide object's keys, in one choice: its width is what is tested.
_WIDE_VALUES: tuple[Any, ...] = (
    None,
    0,
    True,
    False,
    1,
    -1,
    2**53,
    0.5,
    -0.0,
    1e308,
    "",
    "x",
    [],
    {},
)

#: Keys of a wide object, in one choice: a word, or (about a third of the time) a string
#: implementations mishandle as a key.
_KEYS = (*WORDS, *ADVERSARIAL_STRINGS * max(1, len(WORDS) // (2 * len(ADVERSARIAL_STRINGS))))


def gen_object(
    src: Source, *, depth: int = 2, like: Callable[[Source], dict[str, Any]] | None = None
) -> dict[str, Any]:
    """A JSON object: empty, a realistic function output, wide, deeply nested, or (given
    ``like``, which makes one) shaped like a record."""
    shape = src.integer(0, 5 if like is not None else 4) if depth > 0 else 0
    if shape == 0:
        return {}
    if like is not None and shape == 5:
        return like(src)
    if shape == 1:  # what a function typically returns
        return {"ok": src.boolean(), "data": gen_json(src, depth=depth - 1)}
    if shape == 2:  # deep: a chain of single-key objects and arrays
        value: Any = gen_json(src, depth=0)
        for i in range(src.integer(1, 64)):
            value = {"next": value} if i % 3 else [value]
        return {"nested": value}
    if shape == 3:  # wide: many keys, awkward names included
        # Three choices however wide: how many keys, and where in the keys and in the
        # values to start (each key then takes the next; values cycle at another pace).
        n, k, v = (
            src.integer(1, 40),
            src.integer(0, len(_KEYS) - 1),
            src.integer(0, len(_WIDE_VALUES) - 1),
        )
        return {
            _KEYS[(k + 7 * i) % len(_KEYS)]: _WIDE_VALUES[(v + i) % len(_WIDE_VALUES)]
            for i in range(n)
        }
    return {src.choice(WORDS): gen_json(src, depth=depth - 1) for _ in range(src.integer(1, 5))}
