"""For tests that deliver to servers they start on loopback: channels may reach 127.0.0.1 / ::1 there.

By default a channel reaching a loopback address is refused, when it is entered and when it is
sent (``pathways.notify.destination``). These tests let it, as an operator would for a local mail
catcher, through the environment: entry checks read ``PATHWAYS_CHANNEL_ALLOW`` from it, and the
apps and ``pathways`` processes the tests start read their settings from it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

LOOPBACK_ALLOW = "127.0.0.1,::1"


@contextmanager
def loopback_channels() -> Iterator[None]:
    """Set ``PATHWAYS_CHANNEL_ALLOW`` to the loopback addresses while the block runs."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PATHWAYS_CHANNEL_ALLOW", LOOPBACK_ALLOW)
        yield
