"""Is my die fair? Pip tally with a chi-square goodness-of-fit test against the uniform 1..6 (df = 5)."""
from __future__ import annotations

import math

ALPHA = 0.01       # below this p-value the die is called suspicious
MIN_ROLLS = 30     # 5 expected per face: the usual floor for the chi-square approximation


def _lower_gamma_series(a: float, x: float) -> float:
    """Regularized lower incomplete gamma P(a, x) by its power series (good for x < a + 1)."""
    term = total = 1.0 / a
    k = a
    while abs(term) > abs(total) * 1e-16:
        k += 1.0
        term *= x / k
        total += term
    return total * math.exp(-x + a * math.log(x) - math.lgamma(a))


def _upper_gamma_cf(a: float, x: float) -> float:
    """Regularized upper incomplete gamma Q(a, x) by its continued fraction, modified Lentz (x >= a + 1)."""
    tiny = 1e-300
    b = x + 1.0 - a
    c, d = 1.0 / tiny, 1.0 / b
    h = d
    for i in range(1, 1000):
        an = -i * (i - a)
        b += 2.0
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1.0 / d
        step = d * c
        h *= step
        if abs(step - 1.0) < 1e-16:
            break
    return h * math.exp(-x + a * math.log(x) - math.lgamma(a))


def chi2_sf(x: float, df: int) -> float:
    """P(X >= x) for X ~ chi-square with df degrees of freedom: Q(df/2, x/2)."""
    if df <= 0:
        raise ValueError("df must be positive")
    if x <= 0:
        return 1.0
    a, h = df / 2.0, x / 2.0
    return 1.0 - _lower_gamma_series(a, h) if h < a + 1.0 else _upper_gamma_cf(a, h)


class Tally:
    """Counts of pips 1..6 and the fairness verdict."""

    def __init__(self) -> None:
        self.counts = [0] * 6

    def add(self, pips: int) -> None:
        self.counts[pips - 1] += 1

    @property
    def n(self) -> int:
        return sum(self.counts)

    def chi2(self) -> tuple[float, float]:
        """(statistic, p-value); (0, 1) when empty."""
        n = self.n
        if n == 0:
            return 0.0, 1.0
        e = n / 6.0
        stat = sum((o - e) ** 2 / e for o in self.counts)
        return stat, chi2_sf(stat, 5)

    def verdict(self) -> str:
        stat, p = self.chi2()
        counts = " ".join(f"{i + 1}:{c}" for i, c in enumerate(self.counts))
        head = f"tally {counts} n={self.n} chi2={stat:.2f} p={p:.3g}"
        if self.n < MIN_ROLLS:
            return f"{head} -> too few rolls to judge (need {MIN_ROLLS})"
        if p < ALPHA:
            return f"{head} -> looks BIASED (p < {ALPHA})"
        return f"{head} -> consistent with a fair die"
