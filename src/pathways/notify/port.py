"""The notifier port: how a use case sends one rendered message on one channel.

The dispatcher (:mod:`pathways.services.messaging.dispatch`) sends through
:attr:`pathways.bootstrap.App.notifier`, which is :class:`AppriseNotifier` unless the App
was built with another one: unit tests give it a fake that records what it is asked to
send and answers the :class:`~pathways.notify.deliver.Delivery` they choose, so the
dispatcher's bookkeeping (attempts, retries, dead letters) is tested without a mail server.
Apprise is imported only when the first message goes out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from pathways.notify.allowlist import NOTHING, AllowList

if TYPE_CHECKING:
    from pathways.notify.deliver import Delivery
    from pathways.notify.render import Rendered


class Notifier(Protocol):
    """Sends one message on one channel and says how it went; never raises for a failed send."""

    def send(self, url: str, message: Rendered) -> Delivery:
        """Send `message` on the channel `url` (an Apprise URL)."""
        ...


@dataclass(frozen=True, slots=True)
class AppriseNotifier:
    """The production notifier: Apprise, refusing destinations outside `allow` (:mod:`.destination`)."""

    allow: AllowList = NOTHING

    def send(self, url: str, message: Rendered) -> Delivery:
        """Send through Apprise (:func:`pathways.notify.deliver.deliver`)."""
        from pathways.notify.deliver import deliver

        return deliver(url, message, allow=self.allow)
