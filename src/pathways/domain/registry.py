"""The names a pathway file may use, and what each one is, in one registry built by a function.

Checks are pure functions (:data:`pathways.domain.programme.CHECKS`). Automatic steps
are declared by the domain, name and description (:data:`pathways.domain.programme.STEPS`),
and implemented by the services, in one mapping the application is built with
(:class:`pathways.bootstrap.App`); :meth:`Registry.implemented_by` refuses to start
with a declared step that has no implementation, or an implementation nobody declared.
The loader resolves every name of a pathway file against a registry and refuses an
unknown one with the file and line.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from pathways.domain import programme
from pathways.domain.rules import Check, OptionInfo, StepInfo

__all__ = ["OptionInfo", "Registry", "StepInfo", "programme_registry"]


@dataclass(frozen=True, slots=True)
class Registry:
    """Checks by name (callables), automatic steps and local rules (options) by name."""

    checks: Mapping[str, Check]
    steps: Mapping[str, StepInfo]
    options: Mapping[str, OptionInfo] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, info in self.steps.items():
            if name != info.name:
                raise ValueError(f"automatic step {info.name!r} is listed under the name {name!r}")
        for name, option in self.options.items():
            if name != option.name:
                raise ValueError(f"option {option.name!r} is listed under the name {name!r}")
            unknown = [check for check in option.checks if check not in self.checks]
            if unknown or not option.checks:
                raise ValueError(f"option {name!r} names no check, or checks not registered: {unknown}")
        # Copies behind read-only views: the registry cannot change after it is built.
        object.__setattr__(self, "checks", MappingProxyType(dict(self.checks)))
        object.__setattr__(self, "steps", MappingProxyType(dict(self.steps)))
        object.__setattr__(self, "options", MappingProxyType(dict(self.options)))

    @property
    def check_names(self) -> frozenset[str]:
        """Every check a pathway file may name."""
        return frozenset(self.checks)

    @property
    def option_names(self) -> frozenset[str]:
        """Every local rule a pathway file may switch on."""
        return frozenset(self.options)

    @property
    def step_names(self) -> frozenset[str]:
        """Every automatic step a pathway file may name."""
        return frozenset(self.steps)

    def implemented_by(self, implemented: Collection[str]) -> Registry:
        """This registry, if every declared step is implemented and every implementation declared.

        Raises LookupError naming the difference: a programming mistake, caught when the
        application is built rather than when a case first reaches the step.
        """
        missing = sorted(set(self.steps) - set(implemented))
        undeclared = sorted(set(implemented) - set(self.steps))
        if missing or undeclared:
            raise LookupError(
                "automatic steps and their implementations differ: "
                f"declared but not implemented {missing}, implemented but not declared {undeclared}"
            )
        return self


def programme_registry() -> Registry:
    """The registry of the programmes' checks, options and automatic steps (pathways.domain.programme)."""
    steps = {info.name: info for info in programme.STEPS}
    if len(steps) != len(programme.STEPS):
        raise ValueError("an automatic step is declared twice in pathways.domain.programme.STEPS")
    options = {info.name: info for info in programme.OPTIONS}
    if len(options) != len(programme.OPTIONS):
        raise ValueError("an option is declared twice in pathways.domain.programme.OPTIONS")
    return Registry(checks=programme.CHECKS, steps=steps, options=options)
