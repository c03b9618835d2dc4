"""FRAUDAR (Hooi et al., KDD 2016): greedy peeling for dense blocks in a bipartite graph.

The density of a node set S (rows and columns together) is the average suspiciousness

    g(S) = f(S) / |S|,   f(S) = Σ_{i∈S} prior_i + Σ_{i,j∈S} w_ij,

with w the camouflage-resistant column-weighted edges (`graph.build_graph`). The greedy peel
removes, one at a time, the node whose removal lowers f the least (its prior plus its weighted
degree into what is left) and returns the prefix-complement with the highest g. Because
camouflage only adds edges from the fraudsters' rows to other columns, it never changes a
fraudulent block's f, so the block's density stays visible; the paper proves the peel returns
a block at least half as dense as the densest one.

Cost: every node is popped once and every edge updates one endpoint once, each update a heap
push, so one peel is O(E log V). Detecting several blocks repeats the peel after removing each
block's rows; to keep that cheap on a million orders the graph is first cut to its
`min_density`-core (see `density_core`), which provably loses no block the peel could report
above `min_density`.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import sparse
from scipy.sparse import csgraph


@dataclass(frozen=True, slots=True, eq=False)
class Block:
    """A dense block: row and column indices of the matrix it was found in, and g(S)."""

    rows: NDArray[np.intp]
    cols: NDArray[np.intp]
    density: float


def _priors(prior: NDArray[np.float64] | None, n: int, name: str) -> NDArray[np.float64]:
    if prior is None:
        return np.zeros(n, dtype=np.float64)
    values = np.asarray(prior, dtype=np.float64)
    if values.shape != (n,):
        raise ValueError(f"{name} must have shape ({n},), got {values.shape}")
    if not np.all(np.isfinite(values)) or np.any(values < 0):
        raise ValueError(f"{name} must be finite and non-negative")
    return values


def _check(matrix: sparse.spmatrix | sparse.sparray) -> sparse.csr_matrix:
    csr = sparse.csr_matrix(matrix, dtype=np.float64)
    if csr.nnz and (not np.all(np.isfinite(csr.data)) or csr.data.min() < 0):
        raise ValueError("edge weights must be finite and non-negative")
    csr.sum_duplicates()
    return csr


def density(matrix: sparse.spmatrix | sparse.sparray, rows: NDArray[np.intp], cols: NDArray[np.intp],
            row_prior: NDArray[np.float64] | None = None, col_prior: NDArray[np.float64] | None = None) -> float:
    """g(S) of the block made of `rows` and `cols`."""
    size = len(rows) + len(cols)
    if size == 0:
        return 0.0
    csr = _check(matrix)
    n_rows, n_cols = csr.shape
    f = float(csr[rows][:, cols].sum())
    f += float(_priors(row_prior, n_rows, "row_prior")[rows].sum())
    f += float(_priors(col_prior, n_cols, "col_prior")[cols].sum())
    return f / size


def peel(matrix: sparse.spmatrix | sparse.sparray, row_prior: NDArray[np.float64] | None = None,
         col_prior: NDArray[np.float64] | None = None) -> Block:
    """One greedy peel: the densest prefix-complement of the min-degree removal order.

    A binary heap with lazy deletion (stale entries are skipped when popped) orders the nodes
    by current weighted degree; ties go to the lower index, so the result is deterministic.
    """
    csr = _check(matrix)
    n_rows, n_cols = csr.shape
    r_prior = _priors(row_prior, n_rows, "row_prior")
    c_prior = _priors(col_prior, n_cols, "col_prior")
    n = n_rows + n_cols
    if n == 0:
        return Block(np.empty(0, np.intp), np.empty(0, np.intp), 0.0)
    csc = csr.tocsc()
    degree_np = np.concatenate([r_prior + np.asarray(csr.sum(axis=1)).ravel(),
                                c_prior + np.asarray(csr.sum(axis=0)).ravel()])
    # Plain lists: the loop below is pure Python, and list indexing is far cheaper than numpy's.
    degree: list[float] = degree_np.tolist()
    row_ptr: list[int] = csr.indptr.tolist()
    row_nbr: list[int] = (csr.indices.astype(np.int64) + n_rows).tolist()
    row_w: list[float] = csr.data.tolist()
    col_ptr: list[int] = csc.indptr.tolist()
    col_nbr: list[int] = csc.indices.tolist()
    col_w: list[float] = csc.data.tolist()
    alive = [True] * n
    heap = [(d, i) for i, d in enumerate(degree)]
    heapq.heapify(heap)
    f = float(r_prior.sum() + c_prior.sum() + csr.data.sum())
    size = n
    best, best_removed = f / size, 0
    removed: list[int] = []
    pop, push = heapq.heappop, heapq.heappush
    while heap:
        d, node = pop(heap)
        if not alive[node] or d != degree[node]:
            continue  # stale entry: the node was removed or its degree fell since
        alive[node] = False
        removed.append(node)
        f -= d
        size -= 1
        if node < n_rows:
            ptr, nbr, w, base = row_ptr, row_nbr, row_w, node
        else:
            ptr, nbr, w, base = col_ptr, col_nbr, col_w, node - n_rows
        for k in range(ptr[base], ptr[base + 1]):
            other = nbr[k]
            if alive[other]:
                value = degree[other] - w[k]
                degree[other] = value
                push(heap, (value, other))
        if size and f / size > best:
            best, best_removed = f / size, len(removed)
    kept = np.sort(np.asarray(removed[best_removed:], dtype=np.intp))
    rows = kept[kept < n_rows]
    cols = kept[kept >= n_rows] - n_rows
    # Recompute g exactly: `f` above is a running difference and drifts in the last bits.
    return Block(rows, cols, density(csr, rows, cols, r_prior, c_prior))


def density_core(matrix: sparse.spmatrix | sparse.sparray, threshold: float,
                 row_prior: NDArray[np.float64] | None = None, col_prior: NDArray[np.float64] | None = None,
                 rows_alive: NDArray[np.bool_] | None = None, cols_alive: NDArray[np.bool_] | None = None,
                 ) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """The `threshold`-core: what is left after repeatedly dropping nodes of degree < threshold.

    Why it is safe: the peel reaches exactly this set (while a node below the threshold remains,
    the minimum degree is below it, and core nodes never are), and every earlier set whose
    density is at least the threshold only grows denser as such nodes go. So any block the peel
    on the whole graph reports with g ≥ threshold, the peel on the core reports too. Each pass
    is two sparse products, vectorised; optional masks restrict the start.
    """
    csr = _check(matrix)
    n_rows, n_cols = csr.shape
    r_prior = _priors(row_prior, n_rows, "row_prior")
    c_prior = _priors(col_prior, n_cols, "col_prior")
    rows = np.ones(n_rows, dtype=bool) if rows_alive is None else np.asarray(rows_alive, dtype=bool).copy()
    cols = np.ones(n_cols, dtype=bool) if cols_alive is None else np.asarray(cols_alive, dtype=bool).copy()
    csc = csr.tocsc()
    while True:
        row_degree = r_prior + csr @ cols.astype(np.float64)
        col_degree = c_prior + csc.T @ rows.astype(np.float64)
        keep_rows = rows & (row_degree >= threshold)
        keep_cols = cols & (col_degree >= threshold)
        if keep_rows.sum() == rows.sum() and keep_cols.sum() == cols.sum():
            return rows, cols
        rows, cols = keep_rows, keep_cols


def _components(matrix: sparse.csr_matrix, rows: NDArray[np.intp], cols: NDArray[np.intp], min_edge: float,
                ) -> list[tuple[NDArray[np.intp], NDArray[np.intp]]]:
    """Connected parts of the block (rows, cols) of `matrix`, largest first; only edges of at
    least `min_edge` connect."""
    if len(rows) == 0 or len(cols) == 0:
        return [(rows, cols)]
    block = matrix[rows][:, cols]
    if min_edge > 0:
        block.data[block.data < min_edge] = 0.0
        block.eliminate_zeros()
    n_rows = len(rows)
    adjacency = sparse.bmat([[None, block], [block.T, None]], format="csr")
    count, label = csgraph.connected_components(adjacency, directed=False)
    if count == 1:
        return [(rows, cols)]
    sizes = np.bincount(label, minlength=count)
    return [(rows[label[:n_rows] == part], cols[label[n_rows:] == part])
            for part in np.argsort(-sizes, kind="stable")]


def detect_blocks(matrix: sparse.spmatrix | sparse.sparray, *, max_blocks: int, min_density: float,
                  row_prior: NDArray[np.float64] | None = None, col_prior: NDArray[np.float64] | None = None,
                  min_column_share: float = 0.0, min_link: float = 0.0) -> list[Block]:
    """Up to `max_blocks` blocks, each with density ≥ `min_density`, in the order found (the
    peel finds the densest first).

    After each block its rows leave the graph (their edges with them) and the search repeats,
    as in the paper. Its columns stay: a shop that hired one ring may have hired another, and a
    column left without dense support falls out of the core on its own.

    Two refinements of what is reported (the search itself is the paper's):

    - a column keeps its place in a block only if the block's rows carry at least
      `min_column_share` of its total weight (0 keeps every column). Camouflage makes a popular
      column dense *in* a block (several rings' accounts all buy there) without the block
      mattering to it; such hubs would glue unrelated rings together and name an innocent shop;
    - the block is split into its connected parts, because the peel can return two unrelated
      blocks of similar density as one (their union is nearly as dense as either). Only edges
      of at least `min_link` × the block's density connect: one camouflage purchase by a
      member of one ring at another ring's shop does not make them one ring.
    """
    if max_blocks < 0:
        raise ValueError("max_blocks must not be negative")
    if not np.isfinite(min_density) or min_density <= 0:
        raise ValueError("min_density must be positive: at 0 every node would be a block")
    if not 0.0 <= min_column_share <= 1.0:
        raise ValueError("min_column_share must be between 0 and 1")
    if not 0.0 <= min_link < np.inf:
        raise ValueError("min_link must be finite and non-negative")
    csr = _check(matrix)
    n_rows, n_cols = csr.shape
    r_prior = _priors(row_prior, n_rows, "row_prior")
    c_prior = _priors(col_prior, n_cols, "col_prior")
    column_total = np.asarray(csr.sum(axis=0)).ravel()
    rows_alive, cols_alive = density_core(csr, min_density, r_prior, c_prior)
    # Work on the core only, with local indices; it is small next to the whole graph.
    core_rows, core_cols = np.flatnonzero(rows_alive), np.flatnonzero(cols_alive)
    sub = csr[core_rows][:, core_cols]
    sub_r_prior, sub_c_prior = r_prior[core_rows], c_prior[core_cols]
    live_rows = np.ones(len(core_rows), dtype=bool)
    live_cols = np.ones(len(core_cols), dtype=bool)
    blocks: list[Block] = []
    while len(blocks) < max_blocks:
        live_rows, live_cols = density_core(sub, min_density, sub_r_prior, sub_c_prior, live_rows, live_cols)
        if not live_rows.any() and not live_cols.any():
            break
        local_rows, local_cols = np.flatnonzero(live_rows), np.flatnonzero(live_cols)
        found = peel(sub[local_rows][:, local_cols], sub_r_prior[local_rows], sub_c_prior[local_cols])
        if found.density < min_density or (len(found.rows) == 0 and len(found.cols) == 0):
            break
        rows, cols = local_rows[found.rows], local_cols[found.cols]
        kept = cols
        if min_column_share > 0 and len(rows) and len(cols):
            inside = np.asarray(sub[rows][:, cols].sum(axis=0)).ravel()
            total = column_total[core_cols[cols]]
            kept = cols[inside >= min_column_share * np.maximum(total, np.finfo(np.float64).tiny)]
        for part_rows, part_cols in _components(sub, rows, kept, min_link * found.density):
            if len(part_cols) == 0 and len(kept) < len(cols):
                continue  # rows tied only to hub columns: not a block of their own
            part = density(sub, part_rows, part_cols, sub_r_prior, sub_c_prior)
            if part >= min_density and len(blocks) < max_blocks:
                blocks.append(Block(core_rows[part_rows], core_cols[part_cols], part))
        if len(rows):
            live_rows[rows] = False
        else:  # a block of columns alone (priors only): drop them so the search moves on
            live_cols[cols] = False
    return blocks
