"""The buyer × (shop ∪ creator) order graph as a sparse, camouflage-resistant weighted matrix."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

from laotie.trust.fraud.core.batch import OrderBatch

EdgeWeight = Literal["log", "count", "binary"]


@dataclass(frozen=True, slots=True, eq=False)
class OrderGraph:
    """Rows are buyers; columns are shops, then (optionally) creators.

    ``matrix[i, j]`` is the weight of all of buyer ``i``'s orders at column ``j``: the sum of
    those orders' weights (1 each unless `build_graph` is given ``order_weight``), turned into
    an edge weight (``edge_weight``), times the column weight
    ``1 / log(buyers of j + c)`` (FRAUDAR's camouflage resistance: an edge to a shop everyone buys
    from is cheap, so honest-looking purchases at popular shops add almost nothing to a ring's
    density, and an edge to a shop few people buy from is dear).
    """

    matrix: sparse.csr_matrix
    counts: sparse.csr_matrix  # orders per (buyer, column), same sparsity as `matrix`
    buyer_ids: NDArray[np.int64]  # row -> buyer id
    column_ids: NDArray[np.int64]  # column -> shop id (first n_shops) or creator id (the rest)
    n_shops: int
    order_row: NDArray[np.intp]  # per order of the batch: its buyer's row
    order_shop: NDArray[np.intp]  # per order: its shop's column
    order_creator: NDArray[np.intp]  # per order: its creator's column, or -1

    @property
    def n_buyers(self) -> int:
        return int(self.matrix.shape[0])

    @property
    def n_columns(self) -> int:
        return int(self.matrix.shape[1])

    def is_shop(self, columns: NDArray[np.intp]) -> NDArray[np.bool_]:
        return np.asarray(columns) < self.n_shops


def column_weights(degree: NDArray[np.float64], c: float = 5.0) -> NDArray[np.float64]:
    """FRAUDAR's column weight 1 / log(degree + c); c > 1 keeps it finite for degree 0."""
    if c <= 1.0:
        raise ValueError("c must be greater than 1")
    return np.asarray(1.0 / np.log(np.asarray(degree, dtype=np.float64) + c))


def build_graph(batch: OrderBatch, *, include_creators: bool = True, edge_weight: EdgeWeight = "count",
                c: float = 5.0, order_weight: NDArray[np.float64] | None = None) -> OrderGraph:
    """Aggregate the batch's orders into the weighted buyer × column matrix.

    Each order counts ``order_weight`` (default 1; the detector passes 1 plus its suspicion, the
    paper's edge suspiciousness). ``edge_weight`` turns a pair's summed order weight n into the
    edge's weight before the column weight: ``"count"`` (n, the default: a ring's defining act
    is ordering again and again from the same shops), ``"log"`` (log(1 + n), diminishing
    returns) or ``"binary"`` (1, the paper's follower-graph setting).
    """
    buyer_ids, order_row = np.unique(batch.buyer_id, return_inverse=True)
    shop_ids, order_shop = np.unique(batch.shop_id, return_inverse=True)
    n_rows, n_shops = len(buyer_ids), len(shop_ids)
    rows = [order_row]
    cols = [order_shop]
    column_ids = [shop_ids]
    order_creator = np.full(len(batch), -1, dtype=np.intp)
    if include_creators:
        has_creator = batch.creator_id > 0
        creator_ids, creator_index = np.unique(batch.creator_id[has_creator], return_inverse=True)
        order_creator[has_creator] = creator_index + n_shops
        rows.append(order_row[has_creator])
        cols.append(order_creator[has_creator])
        column_ids.append(creator_ids)
    ids = np.concatenate(column_ids).astype(np.int64)
    if order_weight is None:
        per_order = np.ones(len(batch), dtype=np.float64)
    else:
        per_order = np.asarray(order_weight, dtype=np.float64)
        if per_order.shape != (len(batch),) or not np.all(np.isfinite(per_order)) or np.any(per_order < 0):
            raise ValueError("order_weight must be one finite, non-negative weight per order")
    all_rows, all_cols = np.concatenate(rows), np.concatenate(cols)
    shape = (n_rows, len(ids))
    counts = sparse.csr_matrix((np.ones(len(all_rows), dtype=np.float64), (all_rows, all_cols)), shape=shape)
    counts.sum_duplicates()
    weighted = counts if order_weight is None else sparse.csr_matrix(
        (np.concatenate([per_order, per_order[order_creator >= 0]]), (all_rows, all_cols)), shape=shape)
    weighted.sum_duplicates()
    degree = np.diff(counts.tocsc().indptr).astype(np.float64)  # distinct buyers per column
    if edge_weight == "count":
        base = weighted.data.copy()
    elif edge_weight == "log":
        base = np.log1p(weighted.data)
    elif edge_weight == "binary":
        base = np.ones_like(weighted.data)
    else:
        raise ValueError(f"unknown edge_weight {edge_weight!r}")
    weights = base * column_weights(degree, c)[weighted.indices]
    matrix = sparse.csr_matrix((weights, weighted.indices.copy(), weighted.indptr.copy()), shape=shape)
    return OrderGraph(matrix=matrix, counts=counts, buyer_ids=buyer_ids.astype(np.int64), column_ids=ids,
                      n_shops=n_shops, order_row=order_row.astype(np.intp), order_shop=order_shop.astype(np.intp),
                      order_creator=order_creator)
