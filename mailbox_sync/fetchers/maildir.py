"""A maildir read in place: files of new/ and cur/ are read, never touched until stored."""

import os
from collections.abc import Iterator
from pathlib import Path

from .base import FetchedMail, FetchError


class MaildirFetcher:
    def __init__(
        self,
        *,
        path: str,
        archive: str = ".Archive",
        delete: bool = False,
        batch_size: int = 200,
        batch_bytes: int = 20 * 1024 * 1024,
    ):
        self.root = Path(path)
        self.archive = self.root / archive
        self.delete = delete
        self.batch_size, self.batch_bytes = batch_size, batch_bytes

    def __enter__(self) -> "MaildirFetcher":
        if not (self.root / "cur").is_dir() and not (self.root / "new").is_dir():
            raise FetchError(f"not a maildir: {self.root}")
        if not self.delete:
            for sub in ("cur", "new", "tmp"):
                (self.archive / sub).mkdir(parents=True, exist_ok=True)
        return self

    def __exit__(self, *exc) -> None:
        return None

    def _files(self) -> list[Path]:
        files = []
        for sub in ("new", "cur"):
            folder = self.root / sub
            if folder.is_dir():
                with os.scandir(folder) as entries:
                    files.extend(
                        Path(e.path)
                        for e in entries
                        if not e.name.startswith(".") and e.is_file(follow_symlinks=False)
                    )
        # Maildir names start with the delivery time: this is arrival order.
        return sorted(files, key=lambda p: p.name)

    def batches(self) -> Iterator[list[FetchedMail]]:
        """Up to `batch_size` mails and about `batch_bytes` per batch (a big mail goes alone)."""
        batch, size = [], 0
        for path in self._files():
            try:
                data = path.read_bytes()
            except FileNotFoundError:
                continue  # another poll took it meanwhile
            if batch and (len(batch) >= self.batch_size or size + len(data) > self.batch_bytes):
                yield batch
                batch, size = [], 0
            batch.append(
                FetchedMail(
                    data=data, source_ref=f"maildir:{path.parent.name}/{path.name}", key=path
                )
            )
            size += len(data)
        if batch:
            yield batch

    def remove(self, batch: list[FetchedMail]) -> dict:
        for mail in batch:
            path: Path = mail.key
            try:
                if self.delete:
                    path.unlink()
                else:
                    name = path.name if ":2," in path.name else f"{path.name}:2,S"
                    os.rename(path, self.archive / "cur" / name)
            except FileNotFoundError:
                pass  # already removed by a concurrent poll: nothing is lost
        return {}
