"""The root `pathways` command builds a group of sub-commands (`case`, `report`...) only when asked for it.

Typer makes each command's Click options from its signature when the command tree is built
(evaluating its annotations: about 2 ms a command). Built whole at every start, the ~80 commands
cost more than the one command run. So the root group is a Typer group class of our own (the
``cls`` Typer documents for a custom group) whose commands map lists every group's name up
front and builds a group, with Typer's public ``typer.main.get_command``, the first time it is
looked up: to run one of its commands, for its help, for `pathways --help` (which lists them all
with their help, so builds them all) and for shell completion. A group built alone is the group
built in the whole tree: same Typer settings as the root, same name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

import typer
from typer.core import TyperGroup

V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class _Later:
    """A command not built yet."""

    name: str


class LazyCommands(MutableMapping[str, V], Generic[V]):
    """Commands by name, in the order given; a name in `later` is built by `build` when first looked up."""

    def __init__(self, built: Mapping[str, V], later: Iterable[str], build: Callable[[str], V]) -> None:
        self._items: dict[str, V | _Later] = {**built, **{name: _Later(name) for name in later}}
        self._build = build

    def __getitem__(self, name: str) -> V:
        item = self._items[name]
        if isinstance(item, _Later):
            built: V = self._build(name)
            self._items[name] = built
            return built
        return item

    def __contains__(self, name: object) -> bool:  # whether a command is there, without building it
        return name in self._items

    def __setitem__(self, name: str, command: V) -> None:
        self._items[name] = command

    def __delitem__(self, name: str) -> None:
        del self._items[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)


class LazyGroups(TyperGroup):
    """A root group whose sub-command groups (:attr:`groups`, by name, in the order listed) are
    built when first looked up; its own commands and options are built as Typer builds them."""

    groups: ClassVar[Mapping[str, typer.Typer]] = {}

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.commands = LazyCommands(
            self.commands, self.groups, lambda name: self._alone(name).commands[name]
        )

    def list_commands(self, ctx: object) -> list[str]:  # noqa: ARG002 (Click's signature; the names need no context)
        """Every command's and group's name, groups last (as Typer lists them), none built."""
        return list(self.commands)

    def _alone(self, name: str) -> TyperGroup:
        """A root holding only group `name`, built with this root's settings."""
        markup, suggest = self.rich_markup_mode, self.suggest_commands
        root = typer.Typer(rich_markup_mode=markup, suggest_commands=suggest, add_completion=False)
        root.add_typer(self.groups[name], name=name)
        built = typer.main.get_command(root)
        assert isinstance(built, TyperGroup)  # a Typer with a group is built as a group
        return built
