"""What each viewer was served recently, so the next page ranks it down rather than repeating it.

A feed scrolled page after page should not serve the same items again while others wait, yet 100,000 viewers
times a set per viewer would be megabytes of Python objects. Each viewer gets one row of a
shared int32 ring buffer (the last `size` item slots served) and the rows live in one 2-D
array: 100,000 viewers × 100 slots is 40 MB. Rows are handed out as viewers arrive; when
`max_viewers` rows are in use the least recently served eighth is forgotten in one batch
(a forgotten viewer just starts a fresh feed).

Slots are the index's item slots. A slot freed by a removed item and reused by a new one
may be ranked down for the few viewers who saw the old item recently; that costs the new
item a page for those viewers only, and saves tracking generations per slot.
"""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.intp]
FloatArray = npt.NDArray[np.float64]

EMPTY = -1


class ViewerMemory:
    """Bounded per-viewer memory of recently served item slots."""

    def __init__(self, size: int = 100, max_viewers: int = 200_000, initial_rows: int = 1024) -> None:
        if size < 1 or max_viewers < 1:
            raise ValueError("size and max_viewers must be positive")
        self.size = size
        self.max_viewers = max_viewers
        rows = min(max(initial_rows, 1), max_viewers)
        self._buf = np.full((rows, size), EMPTY, dtype=np.int32)
        self._next = np.zeros(rows, dtype=np.int64)  # writes so far into each row's ring
        self._used_at = np.zeros(rows, dtype=np.int64)
        self._row_of: dict[Hashable, int] = {}
        self._viewer_at: list[Hashable | None] = [None] * rows
        self._free: list[int] = list(range(rows - 1, -1, -1))
        self._tick = 0

    def __len__(self) -> int:
        return len(self._row_of)

    def __contains__(self, viewer: Hashable) -> bool:
        return viewer in self._row_of

    def seen(self, viewer: Hashable) -> IntArray:
        """Slots served to `viewer` recently (most recent `size`), in no particular order."""
        row = self._row_of.get(viewer)
        if row is None:
            return np.empty(0, dtype=np.intp)
        written = int(self._next[row])
        if written >= self.size:
            return self._buf[row].astype(np.intp)
        return self._buf[row, :written].astype(np.intp)

    def staleness(self, viewer: Hashable, decay: float) -> tuple[IntArray, FloatArray]:
        """Each slot served to `viewer` recently (ascending) with Σ decay^age over its servings there.

        Age counts the items served since (0 = the last one), so the weight says both how recently
        and how often: the ranker turns it into a penalty, and an item seen long ago weighs little."""
        row = self._row_of.get(viewer)
        if row is None:
            return np.empty(0, dtype=np.intp), np.empty(0, dtype=np.float64)
        written = int(self._next[row])
        count = min(written, self.size)
        ages = np.arange(count)
        slots = self._buf[row, (written - 1 - ages) % self.size].astype(np.intp)
        unique, at = np.unique(slots, return_inverse=True)
        weight = np.bincount(at, weights=np.power(decay, ages), minlength=unique.size)
        return unique.astype(np.intp), weight.astype(np.float64)

    def remember(self, viewer: Hashable, slots: npt.ArrayLike) -> None:
        """Add the slots just served to `viewer`'s memory, dropping the oldest past `size`."""
        new = np.asarray(slots, dtype=np.int32).ravel()[-self.size:]
        if new.size == 0:
            return
        row = self._row_of.get(viewer)
        if row is None:
            row = self._take_row(viewer)
        start = int(self._next[row])
        at = (start + np.arange(new.size)) % self.size
        self._buf[row, at] = new
        self._next[row] = start + new.size
        self._tick += 1
        self._used_at[row] = self._tick

    def forget(self, viewer: Hashable) -> None:
        """Drop one viewer's memory (e.g. they asked for a fresh feed)."""
        row = self._row_of.pop(viewer, None)
        if row is not None:
            self._release(row)

    def nbytes(self) -> int:
        return int(self._buf.nbytes + self._next.nbytes + self._used_at.nbytes)

    # ---- internals ---------------------------------------------------------------------

    def _take_row(self, viewer: Hashable) -> int:
        if not self._free:
            rows = self._buf.shape[0]
            if rows < self.max_viewers:
                self._grow(min(rows * 2, self.max_viewers))
            else:
                self._evict(max(rows // 8, 1))
        row = self._free.pop()
        self._row_of[viewer] = row
        self._viewer_at[row] = viewer
        return row

    def _grow(self, rows: int) -> None:
        old = self._buf.shape[0]
        extra = rows - old
        self._buf = np.concatenate([self._buf, np.full((extra, self.size), EMPTY, dtype=np.int32)])
        self._next = np.concatenate([self._next, np.zeros(extra, dtype=np.int64)])
        self._used_at = np.concatenate([self._used_at, np.zeros(extra, dtype=np.int64)])
        self._viewer_at.extend([None] * extra)
        self._free.extend(range(rows - 1, old - 1, -1))

    def _evict(self, count: int) -> None:
        oldest = np.argpartition(self._used_at, count - 1)[:count]
        for row in sorted(oldest.tolist(), reverse=True):
            viewer = self._viewer_at[row]
            if viewer is not None:
                del self._row_of[viewer]
            self._release(row)

    def _release(self, row: int) -> None:
        self._viewer_at[row] = None
        self._buf[row] = EMPTY
        self._next[row] = 0
        self._used_at[row] = 0
        self._free.append(row)
