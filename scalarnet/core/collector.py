"""``fast_gc()``: CPython's garbage collector tuned for an eager loop, only while asked.

An eager loop (micrograd's: a new graph every step) makes tens of thousands of nodes a step.
They form no reference cycles (tests/test_collector.py), so reference counting alone frees each
step's graph; but the cyclic collector also runs every 700 new container objects: it scans the
live graph again and again, promotes it to the older generations, and full collections then walk
every live object of the process (numpy's, torch's ...). That was 40-70 % of an eager step.

Importing scalarnet leaves the collector as it found it: a library must not change the
interpreter for every other library in the process. Instead ``with scalarnet.fast_gc(): ...``
raises the youngest generation's threshold to FAST_THRESHOLD around the caller's own loop and
puts back what was there when the block ends; ``Engine.train`` does the same around its
epochs, and the ``scalarnet`` command, which owns its process, around the whole run. A
threshold already higher, or 0 (automatic collection off), is left
alone. Cyclic garbage made inside the block is still collected, after at most
FAST_THRESHOLD new objects.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["FAST_THRESHOLD", "fast_gc"]

# a step's graph of up to 100,000 nodes (a node and its tuple of parents are two tracked
# objects) is made, used and freed between two collections of the youngest generation
FAST_THRESHOLD = 200_000


@contextmanager
def fast_gc(threshold: int = FAST_THRESHOLD) -> Iterator[None]:
    """Inside the block, the collector's youngest generation waits for ``threshold`` new
    objects (see the module's text); on leaving it, every threshold is what it was before.

        with scalarnet.fast_gc():
            for k in range(100):
                loss = ...; loss.backward(); ...
    """
    before = gc.get_threshold()
    first, *older = before
    if 0 < first < threshold:  # a threshold set higher, or 0 (collection off), is left alone
        gc.set_threshold(threshold, *older)
    try:
        yield
    finally:
        gc.set_threshold(*before)
