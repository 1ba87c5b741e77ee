"""What an error's words are: its message and hint in one language, made from its values."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from pathways.web.i18n import Texts


@dataclass(frozen=True, slots=True)
class Said:
    """An error's message and hint in one language."""

    message: str
    hint: str | None = None


Words = Callable[[Texts, Mapping[str, str]], Said]
"""An error's words: the texts of a language and the error's values (its ``params``) → :class:`Said`."""
