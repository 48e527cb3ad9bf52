"""The garbage collector tuned for a long-running process (``ombud serve``, ``ombud worker``).

Python's cyclic collector runs its youngest generation every 700 new container objects and
scans, every so often, all of the process's older objects. A request allocates tens of
thousands of short-lived objects (rows, ORM state, template output), nearly all freed by
reference counting, so the collector ran dozens of times per request; and every full pass
walked everything startup had built (modules, the application, SQLAlchemy's mappers), which
never becomes garbage. Measured on batches of 500 requests: a sixth of an access batch's CPU
(a fifth of an erasure batch's), and full passes of 270-370 ms that stopped whichever request
was running.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

# New container objects between two collections of the youngest generation (Python's default:
# 700). Cyclic garbage waits a little longer; memory held by it stays small.
YOUNG_THRESHOLD = 10_000


@contextmanager
def settled() -> Iterator[None]:
    """Within this block, what exists now is out of the collector's reach (``gc.freeze``)
    and the youngest generation is collected less often; both are undone on exit (the
    threshold to what it was; ``gc.unfreeze`` releases every frozen object, an enclosing
    block's too)."""
    before = gc.get_threshold()
    # No gc.collect() first: what startup left as garbage is small, and a full pass over a
    # large heap (a test process starting many applications) costs more than it frees.
    gc.freeze()
    gc.set_threshold(max(before[0], YOUNG_THRESHOLD), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()
