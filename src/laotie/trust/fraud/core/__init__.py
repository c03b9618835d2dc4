"""Fake-order (刷单) ring detection over the buyer–shop–creator order graph, pure and in memory.

The service layer builds an `OrderBatch` from its tables, calls `detect_rings`, and turns the
returned `Ring`s into cases for operators. `generator.generate_orders` makes synthetic data with
planted rings for tests and `bench/fraud.py`.
"""

from __future__ import annotations

from laotie.trust.fraud.core.batch import InvalidOrderBatch, OrderBatch
from laotie.trust.fraud.core.detect import Detection, DetectorConfig, Ring, detect_rings, score_ring
from laotie.trust.fraud.core.fraudar import Block, density, density_core, detect_blocks, peel
from laotie.trust.fraud.core.graph import OrderGraph, build_graph, column_weights
from laotie.trust.fraud.core.signals import SIGNALS, Evidence, OrderSignals, SignalSettings, order_signals

__all__ = [
    "SIGNALS", "Block", "Detection", "DetectorConfig", "Evidence", "InvalidOrderBatch", "OrderBatch", "OrderGraph",
    "OrderSignals", "Ring", "SignalSettings", "build_graph", "column_weights", "density", "density_core",
    "detect_blocks", "detect_rings", "order_signals", "peel", "score_ring",
]
