"""Sequences made only when looked at (fitplug.model.lazy): what a kept settled history is held in."""

from __future__ import annotations

import pytest

from fitplug.model.lazy import Joined, Later


def _later(items: tuple[int, ...], made: list[int]) -> Later[int]:
    def make() -> tuple[int, ...]:
        made.append(1)
        return items

    return Later(len(items), make)


def test_a_later_tuple_is_made_once_when_an_item_is_asked_for() -> None:
    made: list[int] = []
    later = _later((1, 2, 3), made)
    assert len(later) == 3 and not later.made and made == []
    assert later[1] == 2 and later[-1] == 3 and later[1:] == (2, 3)
    assert list(later) == [1, 2, 3] and made == [1] and later.made
    assert later == (1, 2, 3) and (1, 2, 3) == later and later != (1, 2) and later != [1, 2, 3]
    assert hash(later) == hash((1, 2, 3)) and repr(later) == "(1, 2, 3)"


def test_a_later_tuple_that_makes_another_count_fails_each_time() -> None:
    later = Later(2, lambda: (1, 2, 3))
    for _ in range(2):
        with pytest.raises(ValueError, match="made 3 items, not 2"):
            later.items()


def test_what_lies_in_the_second_part_of_a_join_never_makes_the_first() -> None:
    made: list[int] = []
    joined = Joined(_later((1, 2, 3), made), [4, 5])
    assert len(joined) == 5
    assert joined[3] == 4 and joined[-1] == 5 and joined[-2] == 4
    assert joined[3:] == (4, 5) and joined[4:] == (5,) and joined[5:] == () and joined[3:4] == (4,)
    assert joined[7:] == () and joined[4:3] == ()
    assert made == []
    assert joined[0] == 1 and joined[-5] == 1 and joined[1:4] == (2, 3, 4) and joined[::2] == (1, 3, 5)
    assert list(joined) == [1, 2, 3, 4, 5] and made == [1]
    assert joined == (1, 2, 3, 4, 5) and (1, 2, 3, 4, 5) == joined and joined == Joined((1, 2), (3, 4, 5))
    assert joined != (1, 2, 3, 4) and hash(joined) == hash((1, 2, 3, 4, 5))
    for wrong in (5, -6):
        with pytest.raises(IndexError):
            joined[wrong]


def test_a_join_with_an_empty_part() -> None:
    assert Joined((), [1]) == (1,) and Joined((1,), []) == (1,) and Joined((), ()) == ()
    assert Joined((1,), [])[-1] == 1 and Joined((), [1])[0:] == (1,)
