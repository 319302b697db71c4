"""Work spread over processes: results in the order of the blocks, a bounded number of
blocks in flight (`Pool.imap` would read the whole input ahead)."""

import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from multiprocessing.pool import AsyncResult
from typing import Any, TypeVar

Block = TypeVar("Block")
Result = TypeVar("Result")


def in_order(work: Callable[[Block], Result], blocks: Iterable[Block], workers: int,
             initializer: Callable[..., None] | None = None, initargs: tuple[Any, ...] = ()
             ) -> Iterator[Result]:
    """`work` of each block in `workers` forked processes (at least one). `work` must be
    a module-level function; what it returns crosses a pipe, so bytes (marshal) are
    cheapest."""
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(max(1, workers), initializer=initializer, initargs=initargs) as pool:
        window: deque[AsyncResult[Result]] = deque()
        for block in blocks:
            window.append(pool.apply_async(work, (block,)))
            if len(window) > 2 * workers + 1:
                yield window.popleft().get()
        while window:
            yield window.popleft().get()
