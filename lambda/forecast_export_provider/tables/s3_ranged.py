"""A read-only, seekable file over an S3 object that fetches only the byte ranges read."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

TAIL_BYTES = 64 * 1024
"""Bytes fetched at once from the end of the object: a Parquet footer costs one GET."""


class RangedObject(io.RawIOBase):
    """``fetch("bytes=a-b")`` answers those bytes of an object of ``size`` bytes; the tail is fetched once."""

    def __init__(self, fetch: Callable[[str], bytes], size: int) -> None:
        super().__init__()
        self._fetch = fetch
        self._size = size
        self._position = 0
        self._tail_start = max(0, size - TAIL_BYTES)
        self._tail: bytes | None = None

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._size}[whence]
        self._position = max(0, base + offset)
        return self._position

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        end = min(self._size, self._position + len(view))
        if end <= self._position:
            return 0
        if self._position >= self._tail_start:
            if self._tail is None:
                self._tail = self._fetch(f"bytes={self._tail_start}-{self._size - 1}")
            chunk = self._tail[self._position - self._tail_start : end - self._tail_start]
        else:
            chunk = self._fetch(f"bytes={self._position}-{end - 1}")
        view[: len(chunk)] = chunk
        self._position += len(chunk)
        return len(chunk)
