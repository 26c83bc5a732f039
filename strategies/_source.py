"""One description of a generator, two ways to run it.

Every generator in this package is a plain function ``gen(src, ...)`` that asks a
:class:`Source` for its choices.  Under Hypothesis the source is backed by ``draw``, so
every choice is recorded, replayed and shrunk (choices shrink towards the *first* option
and the *low* end of a range: put the simplest option first).  For bulk fixtures the
source is backed by :class:`random.Random`, which is an order of magnitude faster and still
reproducible from a seed.  Because both run the same function, there is no second copy of
any generator to drift out of step with the first.
"""

from __future__ import annotations

import functools
import hashlib
import random
from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

from hypothesis import reject
from hypothesis import strategies as st

T = TypeVar("T")

#: Characters used by :meth:`Source.text` when no alphabet is given: printable ASCII
#: first (so text shrinks towards it), then the awkward ones a schema still allows.
ASCII_PRINTABLE = "".join(chr(c) for c in range(0x20, 0x7F))


class Unsatisfiable(Exception):
    """A generator found no value that does what is asked (a subschema whose keywords
    contradict, or defeat the generator).  Under Hypothesis the draw is rejected (the
    search goes on); a schema where it happens for a plain value is refused up front."""


class Source(Protocol):
    """The choices a generator may ask for."""

    def integer(self, lo: int, hi: int) -> int:
        """An integer in ``[lo, hi]``; shrinks towards ``lo``."""
        ...

    def boolean(self, p: float = 0.5) -> bool:
        """``True`` with probability about ``p``; shrinks towards ``False``."""
        ...

    def choice(self, options: Sequence[T]) -> T:
        """One of ``options``; shrinks towards the first."""
        ...

    def text(self, alphabet: str | None, min_size: int, max_size: int) -> str:
        """A string of ``min_size..max_size`` characters from ``alphabet``.

        ``None`` means any Unicode scalar value (no surrogates): control characters,
        non-BMP characters and NUL included.
        """
        ...

    def floating(self) -> float:
        """A finite float (JSON has no NaN or infinity)."""
        ...


@functools.lru_cache(maxsize=4096)
def _integers(lo: int, hi: int) -> st.SearchStrategy[int]:
    return st.integers(lo, hi)


#: Characters a plain string allows and implementations mishandle: NUL and control
#: characters, no-break and zero-width spaces, a byte order mark, a bidi override, a
#: combining mark, a non-BMP emoji and the last code point.
AWKWARD_CHARACTERS = (
    "\x00\x01\t\n\r\x1b\x7f\x85\xa0\u200b\u2028\ufeff\u202e\u0301\U0001f600\U0010ffff"
)

#: Every Unicode scalar value: all code points but the surrogates, which UTF-8 cannot encode.
#: Given as a range and the excluded characters (never as categories), so that Hypothesis
#: does not build its Unicode category table: that takes seconds on a cold start and would
#: fail a user's first ``@given`` test as too slow.
_SURROGATE_CHARACTERS = "".join(chr(c) for c in range(0xD800, 0xE000))
_ANY_CHARACTER: st.SearchStrategy[str] = st.characters(
    min_codepoint=0, max_codepoint=0x10FFFF, exclude_characters=_SURROGATE_CHARACTERS
)


@functools.lru_cache(maxsize=512)
def _text(alphabet: str | None, min_size: int, max_size: int) -> st.SearchStrategy[str]:
    # One choice for the whole string (Hypothesis draws a string as one choice), rather
    # than a choice or three per character: strings were most of a record's choices.
    chars = _ANY_CHARACTER if alphabet is None else alphabet
    return st.text(chars, min_size=min_size, max_size=max_size)


_BOOLEANS = st.booleans()
_FLOATS = st.floats(allow_nan=False, allow_infinity=False)


class HypothesisSource:
    """A :class:`Source` that records every choice with Hypothesis ``draw``.

    Strategies are built once and reused (looking them up again on every draw was most of
    the cost of a record).
    """

    __slots__ = ("_draw",)

    def __init__(self, draw: Callable[[st.SearchStrategy[Any]], Any]) -> None:
        self._draw = draw

    def integer(self, lo: int, hi: int) -> int:
        return int(self._draw(_integers(lo, hi)))

    def boolean(self, p: float = 0.5) -> bool:
        if p == 0.5:
            return bool(self._draw(_BOOLEANS))
        # A weighted coin: an integer draw keeps it shrinkable towards False.
        return bool(self._draw(_integers(0, 999)) >= 1000 - int(p * 1000))

    def choice(self, options: Sequence[T]) -> T:
        if len(options) == 1:
            return options[0]
        return options[int(self._draw(_integers(0, len(options) - 1)))]

    def text(self, alphabet: str | None, min_size: int, max_size: int) -> str:
        return str(self._draw(_text(alphabet, min_size, max_size)))

    def floating(self) -> float:
        return float(self._draw(_FLOATS))


def derive_seed(seed: int, name: str) -> int:
    """A seed of its own for the stream ``name`` of a run seeded with ``seed``: a 64-bit
    hash of both, so streams are independent of one another and stable across kit runs,
    machines and Python versions (``hash()`` is not)."""
    digest = hashlib.sha256(f"{seed}:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


class RandomSource:
    """A :class:`Source` backed by :class:`random.Random`: fast and seedable."""

    __slots__ = ("_rng",)

    def __init__(self, rng: random.Random | int) -> None:
        self._rng = rng if isinstance(rng, random.Random) else random.Random(rng)

    def integer(self, lo: int, hi: int) -> int:
        span = hi - lo + 1
        if span <= 1 << 48:  # random() has 53 bits: uniform enough, and far faster than randint
            return lo + int(self._rng.random() * span)
        return lo + self._rng.getrandbits(span.bit_length() + 16) % span

    def boolean(self, p: float = 0.5) -> bool:
        return self._rng.random() < p

    def choice(self, options: Sequence[T]) -> T:
        return options[int(self._rng.random() * len(options))]

    def text(self, alphabet: str | None, min_size: int, max_size: int) -> str:
        n = self.integer(min_size, max_size)
        if alphabet is not None:
            return "".join(self._rng.choices(alphabet, k=n))
        out = []
        for _ in range(n):
            c = self._rng.randint(0, 0x10FFFF)
            if 0xD800 <= c <= 0xDFFF:  # surrogates cannot be encoded in UTF-8
                c -= 0x800
            out.append(chr(c))
        return "".join(out)

    def floating(self) -> float:
        kind = self._rng.random()
        if kind < 0.3:
            return float(self._rng.randint(-1000, 1000))
        if kind < 0.6:
            return self._rng.uniform(-1e6, 1e6)
        return self._rng.choice((0.0, -0.0, 1e308, -1e308, 5e-324, 0.1, 1 / 3))


class MinimalSource:
    """A :class:`Source` that always makes the simplest choice: what Hypothesis shrinks to.

    Used to build directed cases on the smallest base record, so that a case tried outside
    the search is already as small as a shrunk one would be.
    """

    __slots__ = ()

    def integer(self, lo: int, hi: int) -> int:
        return lo

    def boolean(self, p: float = 0.5) -> bool:
        return False

    def choice(self, options: Sequence[T]) -> T:
        return options[0]

    def text(self, alphabet: str | None, min_size: int, max_size: int) -> str:
        return (alphabet or "0")[0] * min_size

    def floating(self) -> float:
        return 0.0


#: :class:`Enumeration` takes every value of an integer range this small, and only the two
#: ends of a larger one.
SMALL_RANGE = 4


class Enumeration:
    """A :class:`Source` that follows one path through a generator's choices.

    :func:`every_value` runs a generator once per path, so that every ``choice`` option and
    both ``boolean`` answers are taken, and of an ``integer`` range every value when it is
    small (:data:`SMALL_RANGE`) and its two ends otherwise; ``text`` and ``floating`` take
    their simplest value.  So a generator says what must be enumerated by how it asks:
    ``choice`` among values that each matter, an integer index into values of which any
    one will do.
    """

    __slots__ = ("_path", "widths")

    def __init__(self, path: Sequence[int]) -> None:
        self._path = path
        self.widths: list[int] = []

    def _branch(self, width: int) -> int:
        i = len(self.widths)
        self.widths.append(width)
        return self._path[i] if i < len(self._path) else 0

    def integer(self, lo: int, hi: int) -> int:
        if hi - lo + 1 <= SMALL_RANGE:
            return lo + self._branch(hi - lo + 1)
        return hi if self._branch(2) else lo

    def boolean(self, p: float = 0.5) -> bool:
        return bool(self._branch(2))

    def choice(self, options: Sequence[T]) -> T:
        return options[self._branch(len(options))]

    def text(self, alphabet: str | None, min_size: int, max_size: int) -> str:
        return MinimalSource().text(alphabet, min_size, max_size)

    def floating(self) -> float:
        return 0.0


def every_value(gen: Callable[[Source], T], *, limit: int = 20_000) -> list[T]:
    """``gen``'s value on every path through its choices (see :class:`Enumeration`), in a
    stable order; at most ``limit`` of them, bounded by construction: where the paths
    would be more, the earlier choices of a path are enumerated first and the later ones
    keep their first option (every option of the first choice is taken, and so on while
    the count allows), so that a generator of many choices gives a spread of values, never
    an error."""
    out: list[T] = []
    pending: list[list[int]] = [[]]
    queued = 1
    while pending:
        path = pending.pop()
        src = Enumeration(path)
        out.append(gen(src))
        # Every choice made past the given path took option 0: its other options, the
        # earliest choices first while there is room, queued deepest on top so that paths
        # come in lexicographic order.
        taken = [*path, *[0] * (len(src.widths) - len(path))]
        others = [
            (depth, option)
            for depth in range(len(path), len(src.widths))
            for option in range(1, src.widths[depth])
        ][: max(0, limit - queued)]
        queued += len(others)
        for depth, option in sorted(others, key=lambda d: (d[0], -d[1])):
            pending.append([*taken[:depth], option])
    return out


def strategy(gen: Callable[..., T], /, *args: Any, **kwargs: Any) -> st.SearchStrategy[T]:
    """The Hypothesis strategy that runs ``gen(source, *args, **kwargs)``."""

    @st.composite
    def _strategy(draw: Callable[[st.SearchStrategy[Any]], Any]) -> T:
        try:
            return gen(HypothesisSource(draw), *args, **kwargs)
        except Unsatisfiable:
            reject()

    return _strategy()
