"""Run a function on several threads at once: what the concurrency tests share."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any


def on_threads(target: Callable[..., object], calls: Iterable[tuple[Any, ...]]) -> list[BaseException]:
    """Call ``target(*args)`` for each ``args`` on a thread of its own, start them all, wait for them
    all; return what they raised (the test asserts it is empty), in the order they raised it."""
    errors: list[BaseException] = []

    def run(*args: Any) -> None:
        try:
            target(*args)
        except BaseException as error:  # noqa: BLE001 - returned to the test, which asserts on it
            errors.append(error)

    threads = [threading.Thread(target=run, args=args) for args in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors
