"""Calls that wait on a server, not on this process, made side by side."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

MOST = 8


def side_by_side(call: Callable[[T], R], items: Sequence[T]) -> list[R]:
    """`call` on each item, up to 8 at once; results in order. Every call runs to its end before the first failure is
    raised, so nothing is left half-started behind it. `call` must be thread-safe (boto3 clients are; a psycopg
    connection is used by one call only)."""
    if len(items) < 2:
        return [call(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(MOST, len(items)), thread_name_prefix="side-by-side") as pool:
        futures = [pool.submit(call, item) for item in items]
    return [future.result() for future in futures]
