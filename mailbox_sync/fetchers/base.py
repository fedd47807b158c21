from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol


class FetchError(Exception):
    """The source refused an operation (login, select, fetch, move...)."""


@dataclass(frozen=True)
class FetchedMail:
    data: bytes
    source_ref: str  # where it came from, kept on the raw record ("imap:<validity>:<uid>"...)
    key: object  # the fetcher's own handle for `remove`


class Fetcher(Protocol):
    def __enter__(self) -> "Fetcher": ...

    def __exit__(self, *exc) -> None: ...

    def batches(self) -> Iterator[list[FetchedMail]]: ...

    def remove(self, batch: list[FetchedMail]) -> dict:
        """Moves or deletes the batch at the source; returns cursor fields to save."""
        ...
