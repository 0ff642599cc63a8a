"""Bounded binary encoding for proofs and receipts (untrusted input).

``Writer`` appends little-endian fields; ``Reader`` reads them back field by field,
checking every length against the bytes that remain *before* allocating anything,
and enforcing a cap on every count (Winterfell's deserialization discipline). Any
violation raises ``DecodeError`` with a message that names the field; ``finish()``
rejects trailing bytes. Nothing here executes code or builds objects from type tags.
"""
from __future__ import annotations

import struct

import numpy as np

from engine.errors import ZkwbError


class DecodeError(ZkwbError):
    """The bytes are not a well-formed encoding (truncated, oversized, trailing data)."""


class Writer:
    """Builds an encoding in memory."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def u8(self, value: int) -> None:
        self._parts.append(struct.pack("<B", value))

    def u32(self, value: int) -> None:
        self._parts.append(struct.pack("<I", value))

    def u64(self, value: int) -> None:
        self._parts.append(struct.pack("<Q", value))

    def raw(self, data: bytes) -> None:
        """Bytes whose length the reader knows from context (digests, magic)."""
        self._parts.append(bytes(data))

    def blob(self, data: bytes) -> None:
        """Length-prefixed bytes (u32 length)."""
        self.u32(len(data))
        self._parts.append(bytes(data))

    def u32_array(self, values: np.ndarray) -> None:
        """A count-prefixed array of u32 (any shape is flattened; the reader reshapes)."""
        flat = np.ascontiguousarray(values, dtype="<u4").reshape(-1)
        self.u32(flat.shape[0])
        self._parts.append(flat.tobytes())

    def getvalue(self) -> bytes:
        return b"".join(self._parts)


class Reader:
    """Reads an encoding made by ``Writer``; every method raises ``DecodeError``."""

    def __init__(self, data: bytes, what: str = "data") -> None:
        self._data = memoryview(bytes(data))
        self._pos = 0
        self._what = what

    @property
    def remaining(self) -> int:
        return len(self._data) - self._pos

    def _take(self, n: int, field: str) -> memoryview:
        if n < 0 or n > self.remaining:
            raise DecodeError(f"{self._what} is truncated: {field} needs {n} bytes, "
                              f"{self.remaining} remain")
        out = self._data[self._pos:self._pos + n]
        self._pos += n
        return out

    def sub(self, n: int, field: str, what: str) -> Reader:
        """The next ``n`` bytes as a reader of their own, named ``what`` (a view: the
        bytes are not copied)."""
        view = self._take(n, field)
        reader = Reader.__new__(Reader)
        reader._data, reader._pos, reader._what = view, 0, what
        return reader

    def u8(self, field: str) -> int:
        return self._take(1, field)[0]

    def peek_u32(self) -> int | None:
        """The next u32 without consuming it, or None if fewer than 4 bytes remain."""
        if self.remaining < 4:
            return None
        return struct.unpack_from("<I", self._data, self._pos)[0]

    def u32(self, field: str, max_value: int | None = None) -> int:
        value = struct.unpack("<I", self._take(4, field))[0]
        if max_value is not None and value > max_value:
            raise DecodeError(f"{self._what}: {field} is {value}, more than the limit {max_value}")
        return value

    def u64(self, field: str) -> int:
        return struct.unpack("<Q", self._take(8, field))[0]

    def raw(self, n: int, field: str) -> bytes:
        return bytes(self._take(n, field))

    def blob(self, field: str, max_len: int) -> bytes:
        n = self.u32(f"length of {field}", max_len)
        return bytes(self._take(n, field))

    def u32_array(self, field: str, max_count: int, expect: int | None = None,
                  below: int | None = None) -> np.ndarray:
        """A count-prefixed u32 array. ``expect`` pins the count; ``below`` bounds each
        value (e.g. the field modulus, so non-canonical elements are rejected)."""
        n = self.u32(f"length of {field}", max_count)
        if expect is not None and n != expect:
            raise DecodeError(f"{self._what}: {field} has {n} values, expected {expect}")
        raw = self._take(4 * n, field)
        values = np.frombuffer(raw, dtype="<u4").astype(np.uint32)
        if below is not None and n and int(values.max()) >= below:
            raise DecodeError(f"{self._what}: {field} holds a value ≥ {below}")
        return values

    def finish(self) -> None:
        if self.remaining:
            raise DecodeError(f"{self._what} has {self.remaining} unexpected trailing bytes")
