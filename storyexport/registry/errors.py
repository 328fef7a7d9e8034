"""Registry errors: one-line messages the CLI prints as they are."""

from __future__ import annotations


class RegistryError(Exception):
    """A registry operation that cannot be done; ``str()`` is a one-line message."""


class UnknownStoryError(RegistryError, KeyError):
    """A title_id that is not registered (a KeyError, as the original guide's dict lookups were)."""

    def __init__(self, title_id: str):
        self.title_id = title_id
        super().__init__(f"no export registered with id {title_id!r}")

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0])
