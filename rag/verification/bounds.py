"""Bounded and approximate amounts: is the evidence's number within what the claim says?

"more than two dozen" is backed by "about 26" and by "30", not by "fewer than 60"; the same
bound on both sides asks for the same number ("at least 12 killed" is not "at least 21");
"about" widens only a round figure ("about 30" for 28, not "around 28" for 30). The bound is
read once, with the number (``analysis.Number.bound``), never before a year.
"""

from __future__ import annotations

import math

from rag.verification.analysis import Number

_EXACT = 1e-9


def _is_year(m: Number) -> bool:
    return 1900 <= m.value <= 2100 and m.value == int(m.value)


def _claimed(n: Number) -> tuple[float, bool, float, bool]:
    """(low, low included, high, high included): the values the claim's number allows."""
    v = n.value
    if n.bound == "gt":
        return v, False, math.inf, False
    if n.bound == "ge":
        return v, True, math.inf, False
    if n.bound == "lt":
        return -math.inf, False, v, False
    if n.bound == "le":
        return -math.inf, False, v, True
    if n.bound == "near_below":
        return 0.9 * v, True, v, False
    if n.bound == "about" and v >= 5 and v % 5 == 0:
        return 0.9 * v, True, 1.1 * v, True
    return v, True, v, True


def _stated(m: Number) -> tuple[float, float]:
    """The values the evidence's number may be: an approximation is taken at its word."""
    if m.bound == "gt":
        return m.value + _EXACT, math.inf
    if m.bound == "ge":
        return m.value, math.inf
    if m.bound == "lt":
        return -math.inf, m.value - _EXACT
    if m.bound == "le":
        return -math.inf, m.value
    if m.bound == "near_below":
        return 0.9 * m.value, m.value - _EXACT
    return m.value, m.value


def fits(n: Number, m: Number) -> bool:
    """Does evidence number ``m`` back claim number ``n``?"""
    if n.bound is None or m.bound == n.bound:
        return abs(n.value - m.value) < _EXACT
    if _is_year(m):
        return False  # "more than 20" is no year's business
    lo, lo_in, hi, hi_in = _claimed(n)
    a, b = _stated(m)
    above = a > lo or (lo_in and abs(a - lo) < _EXACT)
    below = b < hi or (hi_in and abs(b - hi) < _EXACT)
    return above and below
