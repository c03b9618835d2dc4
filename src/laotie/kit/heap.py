"""The garbage collector set for a server process that holds thousands of long-lived sockets.

Measured with bench/flash_burst.py (2,500 viewers on one room, 5,000 taps within two seconds):
with CPython's default thresholds the burst spent 5.0 s of its 11 s of CPU in the cyclic
collector — two full collections of 1.6 and 2.0 s, each a stall of every socket, walking
everything start-up built and every connection's objects — and 0.4 s after this. Two changes:

* what start-up built (modules, routes, schemas, the ORM's mappings) lives as long as the
  process, so it is moved out of the collector's sight once (`gc.freeze`), not walked again
  on every full collection;
* the youngest generation is collected after 50,000 net allocations instead of 700, so the
  objects of requests still in flight are not promoted to older generations (whose growth is
  what triggers full collections) only because a collection happened to run mid-request.

Freezing happens once per process: an object frozen is never collected, so later apps (the
tests make many) must not freeze theirs.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 50_000
_frozen = False


def settle_after_startup() -> None:
    global _frozen
    gc.set_threshold(YOUNG_THRESHOLD, 10, 10)
    if not _frozen:
        _frozen = True
        gc.collect()
        gc.freeze()
