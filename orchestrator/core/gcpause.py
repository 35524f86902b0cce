"""Pausing the cyclic garbage collector around functions that build large acyclic object trees."""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


def without_cycle_collection(func: Callable[P, R]) -> Callable[P, R]:
    """Run `func` with the cyclic GC paused: it makes no reference cycles, so collection passes only cost
    time (about a quarter of planning a 1,000-service app). Reference counting still frees everything."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if not gc.isenabled():
            return func(*args, **kwargs)
        gc.disable()
        try:
            return func(*args, **kwargs)
        finally:
            gc.enable()

    return wrapper
