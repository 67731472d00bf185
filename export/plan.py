"""Memory plan of the depth-first decoder: which levels keep rings of rows, which keep small pixel windows.

Every intermediate level k (the output of layer k) is reached through a getter that returns a pointer to one pixel's
channels, computing it on a miss. Storage per level:
  ring(R):     R full rows, a row computed whole on a miss (tag per row slot);
  win(R, C):   R x C pixel slots indexed (y mod R, x mod C), tagged (y, x): a sliding window that recomputes pixels
               its consumer needs again later (the halo of a tile, paid in MACs instead of bytes);
  scratch:     the FC level only: its pixels cost 2 MACs per channel, so they are recomputed into per-tap slots;
  stream:      the last hidden level when the output layer runs as partial sums (psum mode): each pixel is computed
               once in raster order and scattered into 3 rows of output accumulators (1 channel), instead of keeping
               3 rows of its many channels.
`simulate` runs the exact access sequence of the generated C (same tap order, same slot mapping) and counts MACs;
it also rejects plans where fetching one tap would evict another still in use. `search` picks the plan.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from gendie.intmodel import QModel

ACC_BYTES = {"int16": 2, "int24": 3, "int32": 4}
RING_OPTS = [("ring", 3, 0), ("ring", 2, 0)]
WIN_OPTS = [("win", 3, 3), ("win", 3, 2), ("win", 2, 2), ("win", 2, 3)]


@dataclass
class Level:
    h: int
    w: int
    c: int


def levels(qm: QModel) -> list[Level]:
    out = [Level(4, 4, qm.layers[0].co // 16)]  # the FC output viewed as (dim4, 4, 4)
    for L in qm.layers[1:]:
        p = out[-1]
        out.append(Level(p.h * 2, p.w * 2, L.co) if L.kind == "convt2" else Level(p.h, p.w, L.co))
    return out


def taps(kind: str, y: int, x: int, hin: int, win: int) -> list[tuple[int, int, int]]:
    """(tap index ky*3+kx, iy, ix) in the order the C code fetches them (ky outer, kx inner)."""
    def axis(v: int, n: int) -> list[tuple[int, int]]:
        if kind == "conv":
            return [(k, v + k - 1) for k in range(3) if 0 <= v + k - 1 < n]
        # convt2: v = 2i - 1 + k -> even v: k=1, i=v/2; odd v: k=0, i=(v+1)/2 (if inside) then k=2, i=(v-1)/2
        if v & 1:
            return ([(0, (v >> 1) + 1)] if (v >> 1) + 1 < n else []) + [(2, v >> 1)]
        return [(1, v >> 1)]
    return [(ky * 3 + kx, iy, ix) for ky, iy in axis(y, hin) for kx, ix in axis(x, win)]


@dataclass
class Plan:
    storage: list[tuple]                  # per level 0..n-1: ("scratch",), ("ring", R, 0), ("win", R, C), ("stream",)
    final: str                            # "pull" or "psum"
    macs: list[int] = field(default_factory=list)
    computed: list[int] = field(default_factory=list)
    ok: bool = True

    def key(self) -> tuple:
        return tuple(self.storage) + (self.final,)


class _Stale(Exception):
    pass


def simulate(qm: QModel, plan: Plan, cap: int | None = None) -> Plan:
    """Run the generated C's access sequence; fills plan.macs / plan.computed, or plan.ok = False (also when the
    MACs pass `cap`: the search does not need the exact cost of a plan it will reject)."""
    lv = levels(qm)
    n = len(lv) - 1
    kinds = [L.kind for L in qm.layers]
    macs = [0] * (n + 1)
    computed = [0] * (n + 1)
    tags: dict[int, list] = {}
    for k in range(1, n):
        st = plan.storage[k]
        if st[0] == "ring":
            tags[k] = [-1] * st[1]
        elif st[0] == "win":
            tags[k] = [None] * (st[1] * st[2])
    cd = qm.layers[0].ci

    def valid(k: int, iy: int, ix: int) -> bool:
        st = plan.storage[k]
        if st[0] == "ring":
            return tags[k][iy % st[1]] == iy
        if st[0] == "win":
            return tags[k][(iy % st[1]) * st[2] + ix % st[2]] == (iy, ix)
        return True

    def get(k: int, iy: int, ix: int) -> None:
        st = plan.storage[k]
        if st[0] == "scratch":
            px(0, iy, ix)
        elif st[0] == "ring":
            r = iy % st[1]
            if tags[k][r] != iy:
                for xx in range(lv[k].w):
                    px(k, iy, xx)
                tags[k][r] = iy
        elif st[0] == "win":
            s = (iy % st[1]) * st[2] + ix % st[2]
            if tags[k][s] != (iy, ix):
                px(k, iy, ix)
                tags[k][s] = (iy, ix)
        else:
            raise _Stale  # a stream level cannot be fetched

    def px(k: int, y: int, x: int) -> None:
        computed[k] += 1
        if k == 0:
            macs[0] += lv[0].c * cd
            return
        t = taps(kinds[k], y, x, lv[k - 1].h, lv[k - 1].w)
        for _, iy, ix in t:
            get(k - 1, iy, ix)
        if any(not valid(k - 1, iy, ix) for _, iy, ix in t if k - 1 > 0):
            raise _Stale
        macs[k] += len(t) * lv[k - 1].c * lv[k].c
        if cap is not None and computed[k] % 64 == 0 and sum(macs) > cap:
            raise _Stale

    try:
        if plan.final == "pull":
            for y in range(lv[n].h):
                for x in range(lv[n].w):
                    px(n, y, x)
        else:
            for r in range(lv[n].h):
                for x in range(lv[n].w):
                    px(n - 1, r, x)
                    for ky in range(3):
                        for kx in range(3):
                            if 0 <= r + 1 - ky < lv[n].h and 0 <= x + 1 - kx < lv[n].w:
                                macs[n] += lv[n - 1].c
                                computed[n] += 0
            computed[n] = lv[n].h * lv[n].w
    except _Stale:
        plan.ok = False
        return plan
    plan.macs, plan.computed = macs, computed
    return plan


def buffers(qm: QModel, plan: Plan) -> dict[str, int]:
    """Static RAM of the tiled decoder, per buffer (bytes), exactly as the generated C declares them."""
    lv = levels(qm)
    n = len(lv) - 1
    b = {"cond (code's table row)": qm.layers[0].ci, "pips": 1}
    if plan.final == "pull":
        b["out_row"] = lv[n].w  # psum mode writes the grey row over its own partial sums
    b["fc_scratch"] = 4 * lv[0].c  # a ConvT s2 output pixel reads at most 2x2 input pixels
    for k in range(1, n):
        st = plan.storage[k]
        c = lv[k].c
        if st[0] == "ring":
            b[f"L{k}_ring"] = st[1] * lv[k].w * c
            b[f"L{k}_ring_tags"] = st[1]
        elif st[0] == "win":
            b[f"L{k}_win"] = st[1] * st[2] * c
            b[f"L{k}_win_tags"] = 2 * st[1] * st[2]
        elif st[0] == "stream":
            b[f"L{k}_px"] = c
    if plan.final == "psum":
        b["psum"] = 3 * lv[n].w * ACC_BYTES[qm.layers[n].acc_type]
    return b


def ram(qm: QModel, plan: Plan) -> int:
    return sum(buffers(qm, plan).values())


def base_plan(qm: QModel) -> Plan:
    """Safe starting point: every level a 3-row ring, output pulled."""
    n = len(qm.layers) - 1
    return Plan([("scratch",)] + [("ring", 3, 0)] * (n - 1), "pull")


def _neighbours(qm: QModel, p: Plan) -> list[Plan]:
    n = len(qm.layers) - 1
    out = []
    for k in range(1, n):
        if p.storage[k][0] != "stream":
            out += [Plan(p.storage[:k] + [o] + p.storage[k + 1:], p.final) for o in RING_OPTS + WIN_OPTS
                    if o != p.storage[k]]
    if qm.layers[n].kind == "conv":
        st = list(p.storage)
        if p.final == "pull":
            st[n - 1] = ("stream",)
            out.append(Plan(st, "psum"))
        else:
            out += [Plan(st[:n - 1] + [o], "pull") for o in RING_OPTS + WIN_OPTS]
    return out


def search(qm: QModel, budget: int = 1024) -> Plan:
    """The plan depends on shapes and the output accumulator's width only, never on weight values: cached."""
    lv = levels(qm)
    key = (tuple((l.h, l.w, l.c) for l in lv), tuple(L.kind for L in qm.layers), tuple(L.ci for L in qm.layers),
           qm.layers[-1].acc_type, budget)
    if key not in _SEARCHED:
        _SEARCHED[key] = _search(qm, budget)
    p = _SEARCHED[key]
    return Plan(list(p.storage), p.final, list(p.macs), list(p.computed), p.ok)


_SEARCHED: dict[tuple, Plan] = {}


def _search(qm: QModel, budget: int) -> Plan:
    """Greedy then polish, every candidate simulated (so the chosen numbers are measured), deterministic.

    From the all-rings plan, repeatedly take the single-level change that buys RAM at the lowest MAC price per byte
    until the plan fits `budget`; then take any single change that lowers MACs and still fits. If nothing fits,
    the result is the smallest plan found.
    """
    cur = simulate(qm, base_plan(qm))
    cap = 20 * sum(cur.macs)  # far beyond any useful plan: stop simulating those early
    while ram(qm, cur) > budget:
        best, best_ratio = None, None
        for c in _neighbours(qm, cur):
            saved = ram(qm, cur) - ram(qm, c)
            if saved <= 0:
                continue
            c = simulate(qm, c, cap)
            if not c.ok:
                continue
            ratio = (sum(c.macs) - sum(cur.macs)) / saved
            if best_ratio is None or ratio < best_ratio:
                best, best_ratio = c, ratio
        if best is None:
            break
        cur = best
    improved = ram(qm, cur) <= budget
    while improved:
        improved = False
        for c in _neighbours(qm, cur):
            if ram(qm, c) > budget:
                continue
            c = simulate(qm, c, sum(cur.macs))
            if c.ok and (sum(c.macs), ram(qm, c)) < (sum(cur.macs), ram(qm, cur)):
                cur, improved = c, True
                break
    return cur
