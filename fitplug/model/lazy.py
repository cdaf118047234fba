"""Sequences made only when their items are looked at: a long settled history kept as text costs
nothing to a command that does not look at it.

:class:`Later` is a tuple made the first time one of its items is asked for (its length is known at
once); :class:`Joined` puts two sequences one after the other, and a slice or an item of the second
never makes the first. Both compare, hash and print as the tuple of their items, so an answer holding
them equals the same answer holding tuples.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TypeVar, overload

T = TypeVar("T")


class _AsTuple(Sequence[T]):
    """Equality, hash and repr of the tuple of the items."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (tuple, _AsTuple)):
            return len(self) == len(other) and tuple(self) == tuple(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return repr(tuple(self))


class Later(_AsTuple[T]):
    """A tuple of ``count`` items made by ``make()`` the first time an item is asked for.

    ``make`` must give exactly ``count`` items (else :class:`ValueError`, then and every time after).
    """

    __slots__ = ("_count", "_items", "_make")

    def __init__(self, count: int, make: Callable[[], Iterable[T]]) -> None:
        self._count = count
        self._make: Callable[[], Iterable[T]] | None = make
        self._items: tuple[T, ...] | None = None

    @property
    def made(self) -> bool:
        """Whether the items were made already."""
        return self._items is not None

    def items(self) -> tuple[T, ...]:
        """The items, made now if they were not."""
        if self._items is None:
            assert self._make is not None
            items = tuple(self._make())
            if len(items) != self._count:
                raise ValueError(f"made {len(items)} items, not {self._count}")
            self._items, self._make = items, None
        return self._items

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[T, ...]: ...

    def __getitem__(self, index: int | slice) -> T | tuple[T, ...]:
        return self.items()[index]

    def __iter__(self) -> Iterator[T]:
        return iter(self.items())


class Joined(_AsTuple[T]):
    """``first`` then ``second``: an item or a slice that lies in ``second`` never makes ``first``."""

    __slots__ = ("first", "second")

    def __init__(self, first: Sequence[T], second: Sequence[T]) -> None:
        self.first = first
        self.second = tuple(second)

    def __len__(self) -> int:
        return len(self.first) + len(self.second)

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[T, ...]: ...

    def __getitem__(self, index: int | slice) -> T | tuple[T, ...]:
        head = len(self.first)
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step == 1 and start >= head:
                return self.second[start - head : max(start, stop) - head]
            return tuple(self)[index]
        at = index + len(self) if index < 0 else index
        if not 0 <= at < len(self):
            raise IndexError("index out of range")
        return self.second[at - head] if at >= head else self.first[at]

    def __iter__(self) -> Iterator[T]:
        yield from self.first
        yield from self.second
