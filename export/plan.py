"""Memory plan of the depth-first decoder: which levels keep rings of rows, which keep small pixel windows.

Level k is the output of layer k of `gendie.arch.layers(cfg)`. Every intermediate level is reached through a getter
that returns one pixel's channels, computing it on a miss. Storage per level (`Storage`):
  RING(R):      R full rows, a row computed whole on a miss (tag per row slot);
  WINDOW(R, C): R x C pixel slots indexed (y mod R, x mod C), tagged (y, x): a sliding window that recomputes pixels
                its consumer needs again later (the halo of a tile, paid in MACs instead of bytes);
  SCRATCH:      the FC level only: its pixels cost a few MACs per channel, so they are recomputed into per-tap slots;
  STREAM:       the last hidden level when the output layer runs as partial sums (Output.PSUM): each pixel is
                computed once in raster order and scattered into 3 rows of output accumulators (1 channel), instead
                of keeping 3 rows of its many channels;
  OUTPUT:       the face itself, handed to the row callback.
`simulate` runs the exact access sequence of the C engine (same tap order, same slot mapping) and counts MACs; it
also rejects plans where fetching one tap would evict another still in use. `make_plan` searches and returns the
typed `Plan` every emitter reads: nothing downstream re-derives a shape, a buffer or a MAC count.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum

from gendie.arch import DecoderConfig, Kind, Layer, layers
from gendie.intmodel import QModel

PSUM_BYTES = 3  # output partial sums are added in 24 bits (engine/dot.h's gd_run; export/emit.py refuses wider)


class Storage(str, Enum):
    SCRATCH = "scratch"
    RING = "ring"
    WINDOW = "win"
    STREAM = "stream"
    OUTPUT = "output"


class Output(str, Enum):
    PULL = "pull"    # every output pixel pulls its taps from the last hidden level
    PSUM = "psum"    # the last hidden level is streamed into 3 rows of output partial sums


@dataclass(frozen=True)
class LevelPlan:
    """One level: the map a layer writes, (channels, height, width), and how it is kept."""
    layer: Layer
    storage: Storage
    rows: int = 0   # RING: rows kept; WINDOW: slot rows
    cols: int = 0   # WINDOW: slot columns

    @property
    def c(self) -> int:
        return self.layer.out_channels

    @property
    def h(self) -> int:
        return self.layer.hout

    @property
    def w(self) -> int:
        return self.layer.hout

    @property
    def shape(self) -> tuple[int, int, int]:
        return (self.c, self.h, self.w)

    def as_list(self) -> list:
        """The storage as memory_plan.json spells it: ["ring", R, 0], ["win", R, C], ["scratch"], ..."""
        if self.storage is Storage.RING:
            return ["ring", self.rows, 0]
        if self.storage is Storage.WINDOW:
            return ["win", self.rows, self.cols]
        return [self.storage.value]

    def describe(self) -> str:
        return "/".join(map(str, self.as_list()))


@dataclass(frozen=True)
class Plan:
    """The chosen plan with its measured consequences: MACs and pixels computed per level, buffers in bytes."""
    cfg: DecoderConfig
    levels: tuple[LevelPlan, ...]
    output: Output
    macs: tuple[int, ...]
    computed: tuple[int, ...]
    buffers: dict
    fits: bool        # the search found a plan within its budget

    @property
    def ram(self) -> int:
        return sum(self.buffers.values())

    @property
    def total_macs(self) -> int:
        return sum(self.macs)


def taps(kind: Kind, y: int, x: int, hin: int, win: int) -> list[tuple[int, int, int]]:
    """(tap index ky*3+kx, iy, ix) in the order the C code fetches them (ky outer, kx inner)."""
    def axis(v: int, n: int) -> list[tuple[int, int]]:
        if kind is Kind.CONV:
            return [(k, v + k - 1) for k in range(3) if 0 <= v + k - 1 < n]
        # convt2: v = 2i - 1 + k -> even v: k=1, i=v/2; odd v: k=0, i=(v+1)/2 (if inside) then k=2, i=(v-1)/2
        if v & 1:
            return ([(0, (v >> 1) + 1)] if (v >> 1) + 1 < n else []) + [(2, v >> 1)]
        return [(1, v >> 1)]
    return [(ky * 3 + kx, iy, ix) for ky, iy in axis(y, hin) for kx, ix in axis(x, win)]


def network_macs(cfg: DecoderConfig) -> list[int]:
    """MACs of one layer-by-layer pass (every valid tap once): the network's own cost, without recompute."""
    ls = layers(cfg)
    out = [ls[0].out_channels * 16 * cfg.cond_dim]
    for L in ls[1:]:
        t = sum(len(taps(L.kind, y, x, L.hin, L.hin)) for y in range(L.hout) for x in range(L.hout))
        out.append(t * L.cin * L.cout)
    return out


# ---- the search: candidates are (storage, rows, cols) per level + an output mode -------------------------------
Slot = tuple  # (Storage, rows, cols)
RING_OPTS = [(Storage.RING, 3, 0), (Storage.RING, 2, 0)]
WIN_OPTS = [(Storage.WINDOW, 3, 3), (Storage.WINDOW, 3, 2), (Storage.WINDOW, 2, 2), (Storage.WINDOW, 2, 3)]
FC_OPTS = [(Storage.RING, 4, 0), (Storage.RING, 2, 0)]  # the whole 4x4 map, or the 2 rows a ConvT row reads


@dataclass(frozen=True)
class _Candidate:
    storage: tuple          # one Slot per level 0..n-1 (the output level is not stored)
    final: Output
    macs: tuple = ()
    computed: tuple = ()
    ok: bool = True


class _Stale(Exception):
    pass


def simulate(ls: list[Layer], cand: _Candidate, cap: int | None = None) -> _Candidate:
    """Run the C engine's access sequence; returns the candidate with macs / computed, or ok=False (also when the
    MACs pass `cap`: the search does not need the exact cost of a plan it will reject)."""
    n = len(ls) - 1
    st = cand.storage
    macs = [0] * (n + 1)
    computed = [0] * (n + 1)
    tags = {k: [-1] * st[k][1] if st[k][0] is Storage.RING else [None] * (st[k][1] * st[k][2])
            for k in range(0, n) if st[k][0] in (Storage.RING, Storage.WINDOW)}
    cd = ls[0].cin - 6  # the one-hot pips select a bias row: only the condition multiplies

    def valid(k: int, iy: int, ix: int) -> bool:
        s = st[k]
        if s[0] is Storage.RING:
            return tags[k][iy % s[1]] == iy
        if s[0] is Storage.WINDOW:
            return tags[k][(iy % s[1]) * s[2] + ix % s[2]] == (iy, ix)
        return True

    def get(k: int, iy: int, ix: int) -> None:
        s = st[k]
        if s[0] is Storage.SCRATCH:
            px(0, iy, ix)
        elif s[0] is Storage.RING:
            r = iy % s[1]
            if tags[k][r] != iy:
                for xx in range(ls[k].hout):
                    px(k, iy, xx)
                tags[k][r] = iy
        elif s[0] is Storage.WINDOW:
            slot = (iy % s[1]) * s[2] + ix % s[2]
            if tags[k][slot] != (iy, ix):
                px(k, iy, ix)
                tags[k][slot] = (iy, ix)
        else:
            raise _Stale  # a stream level cannot be fetched

    def px(k: int, y: int, x: int) -> None:
        computed[k] += 1
        if k == 0:
            macs[0] += ls[0].out_channels * cd
            return
        t = taps(ls[k].kind, y, x, ls[k].hin, ls[k].hin)
        for _, iy, ix in t:
            get(k - 1, iy, ix)
        if any(not valid(k - 1, iy, ix) for _, iy, ix in t):
            raise _Stale
        macs[k] += len(t) * ls[k].cin * ls[k].cout
        if cap is not None and computed[k] % 64 == 0 and sum(macs) > cap:
            raise _Stale

    last = ls[n]
    try:
        if cand.final is Output.PULL:
            for y in range(last.hout):
                for x in range(last.hout):
                    px(n, y, x)
        else:  # each pixel of the streamed level once, in raster order, times the taps that land inside the face
            for r in range(last.hin):
                for x in range(last.hin):
                    px(n - 1, r, x)
                    macs[n] += last.cin * sum(1 for ky in range(3) for kx in range(3)
                                              if 0 <= _lands(last.kind, r, ky) < last.hout
                                              and 0 <= _lands(last.kind, x, kx) < last.hout)
            computed[n] = last.hout * last.hout
    except _Stale:
        return replace(cand, ok=False)
    return replace(cand, macs=tuple(macs), computed=tuple(computed))


def _lands(kind: Kind, i: int, k: int) -> int:
    """The output row (or column) that input row i reaches through kernel tap k."""
    return i + 1 - k if kind is Kind.CONV else 2 * i - 1 + k


def buffers(ls: list[Layer], cand: _Candidate, out_acc: str) -> dict[str, int]:
    """Static RAM of the depth-first decoder, per buffer (bytes), exactly as the C engine declares them."""
    n = len(ls) - 1
    b = {"cond (code's table row)": ls[0].cin - 6, "pips": 1}
    if cand.final is Output.PULL:
        b["out_row"] = ls[n].hout  # psum mode writes the grey row over its own partial sums
    if cand.storage[0][0] is Storage.SCRATCH:
        b["fc_scratch"] = 4 * ls[0].out_channels  # a ConvT s2 output pixel reads at most 2x2 input pixels
    for k in range(0, n):
        s, c, w = cand.storage[k], ls[k].out_channels, ls[k].hout
        if s[0] is Storage.RING:
            b[f"L{k}_ring"] = s[1] * w * c
            b[f"L{k}_ring_tags"] = s[1]
        elif s[0] is Storage.WINDOW:
            b[f"L{k}_win"] = s[1] * s[2] * c
            b[f"L{k}_win_tags"] = 2 * s[1] * s[2]
        elif s[0] is Storage.STREAM:
            b[f"L{k}_px"] = c
    if cand.final is Output.PSUM:
        b["psum"] = 3 * ls[n].hout * PSUM_BYTES
    return b


def _neighbours(ls: list[Layer], p: _Candidate) -> list[_Candidate]:
    n = len(ls) - 1
    out = [_Candidate((o,) + p.storage[1:], p.final) for o in [(Storage.SCRATCH, 0, 0)] + FC_OPTS
           if o != p.storage[0]]  # the FC map: recomputed per tap, or kept in rows
    for k in range(1, n):
        if p.storage[k][0] is not Storage.STREAM:
            out += [_Candidate(p.storage[:k] + (o,) + p.storage[k + 1:], p.final) for o in RING_OPTS + WIN_OPTS
                    if o != p.storage[k]]
    if ls[n].out_channels == 1 and n >= 2:
        st = list(p.storage)
        if p.final is Output.PULL:
            st[n - 1] = (Storage.STREAM, 0, 0)
            out.append(_Candidate(tuple(st), Output.PSUM))
        else:
            out += [_Candidate(tuple(st[:n - 1]) + (o,), Output.PULL) for o in RING_OPTS + WIN_OPTS]
    return out


def _search(ls: list[Layer], out_acc: str, budget: int) -> tuple[_Candidate, bool]:
    """Greedy then polish, every candidate simulated (so the chosen numbers are measured), deterministic.

    From the all-rings plan, repeatedly take the single-level change that buys RAM at the lowest MAC price per byte
    until the plan fits `budget`; then take any single change that lowers MACs and still fits. If nothing fits,
    the result is the smallest plan found.
    """
    def ram(c: _Candidate) -> int:
        return sum(buffers(ls, c, out_acc).values())

    n = len(ls) - 1
    cur = simulate(ls, _Candidate(((Storage.SCRATCH, 0, 0),) + ((Storage.RING, 3, 0),) * (n - 1), Output.PULL))
    cap = 20 * sum(cur.macs)  # far beyond any useful plan: stop simulating those early
    while ram(cur) > budget:
        best, best_ratio = None, None
        for c in _neighbours(ls, cur):
            saved = ram(cur) - ram(c)
            if saved <= 0:
                continue
            c = simulate(ls, c, cap)
            if not c.ok:
                continue
            ratio = (sum(c.macs) - sum(cur.macs)) / saved
            if best_ratio is None or ratio < best_ratio:
                best, best_ratio = c, ratio
        if best is None:
            break
        cur = best
    fits = ram(cur) <= budget
    improved = fits
    while improved:
        improved = False
        for c in _neighbours(ls, cur):
            if ram(c) > budget:
                continue
            c = simulate(ls, c, sum(cur.macs))
            if c.ok and _cost(c, ram(c)) < _cost(cur, ram(cur)):
                cur, improved = c, True
                break
    return cur, fits


def _cost(c: _Candidate, ram: int) -> tuple:
    """What the polish minimises: MACs, then pulled outputs (PSUM computes each streamed pixel once and scatters it
    with one kernel pass, far fewer engine calls per face than pulling every output pixel), then bytes."""
    return (sum(c.macs), c.final is Output.PULL, ram)


_SEARCHED: dict[tuple, tuple[_Candidate, bool]] = {}


def make_plan(cfg: DecoderConfig, out_acc: str, budget: int = 1024) -> Plan:
    """The plan for `cfg` within `budget` bytes. It depends on the shapes and the output accumulator's width
    (`out_acc`, the last layer's proven type) only, never on weight values: searched once per process."""
    ls = layers(cfg)
    key = (tuple(ls), out_acc, budget)
    if key not in _SEARCHED:
        _SEARCHED[key] = _search(ls, out_acc, budget)
    cand, fits = _SEARCHED[key]
    lv = tuple(LevelPlan(L, *cand.storage[k]) for k, L in enumerate(ls[:-1])) + (LevelPlan(ls[-1], Storage.OUTPUT),)
    return Plan(cfg, lv, cand.final, cand.macs, cand.computed, buffers(ls, cand, out_acc), fits)


def plan_for(qm: QModel, budget: int = 1024) -> Plan:
    """The plan of an integer model (its config and its proven output accumulator)."""
    return make_plan(qm.cfg, qm.layers[-1].acc_type, budget)
