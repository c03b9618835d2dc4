"""Fake-order (刷单) ring detection: FRAUDAR dense blocks, grown and judged by behavioural signals.

How a run goes (`detect_rings`):

1. Per-order behavioural signals, vectorised (`signals.order_signals`).
2. The buyer × shop (and creator) graph. Each order weighs 1 + ``signal_weight`` × (its signals
   beyond the first) — FRAUDAR's edge suspiciousness — so a pile of orders that are each
   suspicious in two ways is dense, while one signal alone (a family's shared address, a new
   account, a flash-sale burst) adds nothing. Columns are weighted 1 / log(buyers + c) against
   camouflage (`graph.build_graph`).
3. FRAUDAR blocks at least ``min_density_ratio`` times as dense as the whole graph
   (`fraudar.detect_blocks`), without popular hub columns, split into connected parts.
4. The peel keeps only a ring's densest core, so each block grows by the buyers who are nearly
   as tied to its shops and creators as its core members are.
5. Evidence and a score per block; a block scoring at least ``min_score`` is a suspected ring,
   the rest are returned as dismissed (an operator may want to see why a group was cleared).

The detector is pure: it reads a batch and returns rings. Loading orders, the operator queue
and what confirming a ring does (its orders leave sales figures, reviews and the shop score; a
violation case opens against each shop) belong to the service that calls it.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from laotie.trust.fraud.core.batch import OrderBatch
from laotie.trust.fraud.core.fraudar import Block, detect_blocks
from laotie.trust.fraud.core.graph import EdgeWeight, OrderGraph, build_graph
from laotie.trust.fraud.core.signals import (
    SIGNALS,
    Evidence,
    OrderSignals,
    SignalSettings,
    block_evidence,
    order_signals,
)


@dataclass(frozen=True, slots=True)
class DetectorConfig:
    """Every knob of the detector. The defaults were chosen on the generator's data (a handful of
    seeds, 100k and 1M orders); on real orders they are a starting point, to be calibrated
    against the cases operators confirm or clear."""

    signals: SignalSettings = field(default_factory=SignalSettings)
    include_creators: bool = True  # rings inflate creators' rooms as well as shops
    edge_weight: EdgeWeight = "count"
    column_c: float = 5.0  # FRAUDAR's c in 1 / log(degree + c)
    signal_weight: float = 10.0  # an order weighs 1 + this × (its signals beyond the first)
    min_density_ratio: float = 2.0  # blocks less dense than this × the whole graph are not searched
    min_column_share: float = 0.1  # a shop/creator belongs to a block only if the block is this much of it
    min_link: float = 0.1  # an edge this light (× the block's density) does not join two parts of a block
    max_blocks: int = 1_000
    expand_ratio: float = 0.3  # buyers tied to a block's columns this much of a core member's join it
    min_ring_buyers: int = 3
    min_score: float = 0.5  # a block is a suspected ring from this score up

    def __post_init__(self) -> None:
        if self.signal_weight < 0 or self.max_blocks < 0:
            raise ValueError("signal_weight and max_blocks must not be negative")
        if self.min_density_ratio <= 0 or self.expand_ratio <= 0 or self.column_c <= 1:
            raise ValueError("min_density_ratio and expand_ratio must be positive, column_c above 1")
        if not 0 <= self.min_column_share <= 1 or not 0 <= self.min_score <= 1 or self.min_link < 0:
            raise ValueError("min_column_share and min_score must be between 0 and 1, min_link non-negative")
        if self.min_ring_buyers < 2:
            raise ValueError("a ring needs at least two buyers")


@dataclass(frozen=True, slots=True)
class Ring:
    """A suspected fake-order ring, or a dense block that was examined and dismissed.

    ``order_ids`` are the members' orders at the ring's shops or through its creators: what a
    confirmed ring takes out of sales figures, reviews and the shop score. Members' other
    orders (camouflage at popular shops) look like real purchases and are not listed.
    ``density`` is the block's FRAUDAR density g, ``density_ratio`` that over the whole graph's;
    ``score`` (0-1) ranks rings for the operator (`score_ring`); ``evidence`` starts with the
    density finding, then the five behavioural signals, strongest first.
    """

    buyers: tuple[int, ...]
    shops: tuple[int, ...]
    creators: tuple[int, ...]
    order_ids: tuple[int, ...]
    density: float
    density_ratio: float
    score: float
    evidence: tuple[Evidence, ...]

    def as_dict(self) -> dict[str, object]:
        """JSON-ready, to store with a case or render for an operator."""
        return {
            "buyers": list(self.buyers), "shops": list(self.shops), "creators": list(self.creators),
            "order_ids": list(self.order_ids), "density": self.density, "density_ratio": self.density_ratio,
            "score": self.score,
            "evidence": [{"signal": e.signal, "value": e.value, "explanation": e.explanation} for e in self.evidence],
        }


@dataclass(frozen=True, slots=True)
class Detection:
    """One run's result: suspected rings (most suspicious first) and the dense blocks dismissed."""

    rings: tuple[Ring, ...]
    dismissed: tuple[Ring, ...]
    background_density: float  # g of the whole graph
    min_density: float  # the density a block needed to be examined
    orders: int
    buyers: int
    columns: int  # shops plus creators
    seconds: dict[str, float]  # per stage: signals, graph, blocks, evidence

    @property
    def flagged_buyers(self) -> frozenset[int]:
        """Every buyer in a suspected ring."""
        return frozenset(b for ring in self.rings for b in ring.buyers)


def score_ring(strengths: dict[str, float], density_ratio: float) -> float:
    """Suspicion in [0, 1] from the five signal strengths (each 0-1) and the block's density.

    Behaviour: the geometric mean of the two strongest signals, plus up to 0.1 for the other
    three. Any one signal has honest explanations (a family shares an address, a new shop's
    first customers are new accounts, a flash sale is a burst), so one alone, however strong,
    must not convict; two that agree across most of the ring should.
    Structure: density scales that by 0.75 at twice the graph's density up to 1 at eight times,
    so among equally behaved blocks the tighter one ranks first, and density never convicts alone.
    """
    ranked = sorted((float(strengths[name]) for name in SIGNALS), reverse=True)
    behaviour = min(1.0, math.sqrt(ranked[0] * ranked[1]) + 0.1 * sum(ranked[2:]) / 3)
    structure = min(1.0, max(0.0, math.log2(max(density_ratio, 1.0)) - 1.0) / 2.0)
    return behaviour * (0.75 + 0.25 * structure)


def _group(keys: NDArray[np.intp], n_keys: int) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Item indices sorted by key, and where each key's run starts (CSR-style)."""
    order = np.argsort(keys, kind="stable")
    return order, np.searchsorted(keys[order], np.arange(n_keys + 1))


def _gather(keys: NDArray[np.intp], order: NDArray[np.intp], starts: NDArray[np.intp]) -> NDArray[np.intp]:
    """Every item of the given keys, vectorised (no Python loop over keys)."""
    lengths = starts[keys + 1] - starts[keys]
    total = int(lengths.sum())
    if total == 0:
        return np.empty(0, dtype=np.intp)
    offsets = np.repeat(starts[keys] - np.cumsum(np.r_[0, lengths[:-1]]), lengths)
    return np.asarray(order[np.arange(total) + offsets], dtype=np.intp)


def detect_rings(batch: OrderBatch, config: DetectorConfig | None = None) -> Detection:
    """Find suspected fake-order rings in a batch of orders (see the module docstring).

    Run it over a window of paid orders long enough for rings to repeat themselves (weeks to a
    quarter). Deterministic: the same batch and config give the same rings.
    """
    if not isinstance(batch, OrderBatch):
        raise TypeError(f"detect_rings needs an OrderBatch, got {type(batch).__name__}")
    config = config or DetectorConfig()
    seconds: dict[str, float] = {}
    clock = time.perf_counter()

    _, buyer_row = np.unique(batch.buyer_id, return_inverse=True)
    signals = order_signals(batch, buyer_row.astype(np.intp), config.signals)
    signal_count = signals.count().astype(np.float64)
    seconds["signals"] = time.perf_counter() - clock
    clock = time.perf_counter()

    weight = 1.0 + config.signal_weight * np.maximum(signal_count - 1.0, 0.0)
    graph = build_graph(batch, include_creators=config.include_creators, edge_weight=config.edge_weight,
                        c=config.column_c, order_weight=weight)
    background = float(graph.matrix.sum()) / (graph.n_buyers + graph.n_columns)
    min_density = config.min_density_ratio * background
    seconds["graph"] = time.perf_counter() - clock
    clock = time.perf_counter()

    blocks = detect_blocks(graph.matrix, max_blocks=config.max_blocks, min_density=min_density,
                           min_column_share=config.min_column_share, min_link=config.min_link,
                           ) if background > 0 else []
    seconds["blocks"] = time.perf_counter() - clock
    clock = time.perf_counter()

    judged = _judge(batch, graph, signals, signal_count, blocks, background, config)
    seconds["evidence"] = time.perf_counter() - clock

    def rank(ring: Ring) -> tuple[float, tuple[int, ...]]:
        return -ring.score, ring.buyers

    return Detection(
        rings=tuple(sorted((r for r in judged if r.score >= config.min_score), key=rank)),
        dismissed=tuple(sorted((r for r in judged if r.score < config.min_score), key=rank)),
        background_density=background, min_density=min_density, orders=len(batch), buyers=graph.n_buyers,
        columns=graph.n_columns, seconds=seconds)


def _judge(batch: OrderBatch, graph: OrderGraph, signals: OrderSignals, signal_count: NDArray[np.float64],
           blocks: list[Block], background: float, config: DetectorConfig) -> list[Ring]:
    """Grow each block by its lighter members, gather its orders, weigh the evidence."""
    by_row = _group(graph.order_row, graph.n_buyers)
    at_column = np.concatenate([graph.order_shop, graph.order_creator])
    order_of = np.concatenate([np.arange(len(batch)), np.arange(len(batch))])
    via = at_column >= 0
    column_order, column_starts = _group(at_column[via], graph.n_columns)
    orders_by_column = order_of[via][column_order]
    taken = np.zeros(graph.n_buyers, dtype=bool)  # a buyer belongs to one ring at most
    rings: list[Ring] = []
    for block in blocks:
        core = block.rows[~taken[block.rows]]
        if len(core) == 0 or len(block.cols) == 0:
            continue
        # An order at a block shop through a block creator is one order, not two.
        at_block = np.unique(_gather(block.cols, orders_by_column, column_starts))
        # A buyer's tie is the signals on its orders at the block's columns: linear, not the
        # graph's amplified weight, so a member who skipped a review or joined a session late
        # still counts, while an honest regular of a colluding shop (orders without signals)
        # does not. A block whose core shows no signals at all grows by nobody.
        tie = np.bincount(graph.order_row[at_block], weights=signal_count[at_block], minlength=graph.n_buyers)
        threshold = config.expand_ratio * float(np.median(tie[core]))
        grown = np.flatnonzero((tie >= threshold) & (tie > 0) & ~taken) if threshold > 0 else core[:0]
        members = np.union1d(core, grown)
        if len(members) < config.min_ring_buyers:
            continue
        taken[members] = True
        member_orders = np.sort(_gather(members, *by_row))
        is_member = np.zeros(graph.n_buyers, dtype=bool)
        is_member[members] = True
        block_orders = at_block[is_member[graph.order_row[at_block]]]
        found = block_evidence(batch, signals, members, member_orders, block_orders, graph.order_row,
                               config.signals)
        ratio = block.density / background
        score = score_ring({name: e.value for name, e in found.items()}, ratio)
        is_shop = graph.is_shop(block.cols)
        n_shops, n_creators = int(is_shop.sum()), int((~is_shop).sum())
        columns = f"{n_shops} shop{'s' * (n_shops != 1)}" + (
            f" and {n_creators} creator{'s' * (n_creators != 1)}" if n_creators else "")
        density_item = Evidence(
            "density", ratio,
            f"{len(core)} accounts and {columns} form a block of density {block.density:.2f}, {ratio:.1f}× the "
            f"whole graph's {background:.2f}; {len(members) - len(core)} more accounts are nearly as tied to it")
        rings.append(Ring(
            buyers=tuple(sorted(int(b) for b in graph.buyer_ids[members])),
            shops=tuple(sorted(int(s) for s in graph.column_ids[block.cols[is_shop]])),
            creators=tuple(sorted(int(c) for c in graph.column_ids[block.cols[~is_shop]])),
            order_ids=tuple(int(o) for o in np.sort(batch.order_id[block_orders])),
            density=block.density, density_ratio=ratio, score=score,
            evidence=(density_item, *sorted(found.values(), key=lambda e: -e.value))))
    return rings
