"""Fakes of the App's ports, for tests of the services that need no real component behind a port."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from pathways.notify.deliver import Delivery, channel_id
from pathways.notify.render import Rendered


@dataclass
class FakeNotifier:
    """A notifier (:class:`pathways.notify.port.Notifier`) that records each send and sends nothing.

    A channel URL in `down` fails as Apprise reports a failed send (``ok=False`` with a reason); one
    in `refused` as a destination the operator does not allow. Safe from the dispatcher's threads.
    """

    down: set[str] = field(default_factory=set)
    refused: set[str] = field(default_factory=set)
    sent: list[tuple[str, Rendered]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def send(self, url: str, message: Rendered) -> Delivery:
        """Record the send; answer what `down` and `refused` say."""
        with self._lock:
            self.sent.append((url, message))
        if url in self.refused:
            return Delivery(channel_id(url), ok=False, reason="refused: fake", refused=True)
        if url in self.down:
            return Delivery(channel_id(url), ok=False, reason="fake: the server did not answer")
        return Delivery(channel_id(url), ok=True)
