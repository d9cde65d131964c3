"""Incremental reading of one large JSON document: values are decoded one at a time from a
sliding text buffer, so memory holds one chunk plus the value being read."""

from __future__ import annotations

import codecs
import json
import re
from typing import IO, Any

from adapters.core.errors import DialectError

CHUNK = 256 * 1024
MAX_VALUE = 8 * 1024 * 1024
_WS = re.compile(r"[ \t\n\r]*")


class JsonStream:
    """A cursor over a UTF-8 JSON document (a leading BOM is skipped)."""

    def __init__(self, stream: IO[bytes], name: str) -> None:
        self._stream = stream
        self.name = name
        self._decoder = codecs.getincrementaldecoder("utf-8-sig")("strict")
        self._scan = json.JSONDecoder().raw_decode
        self._buf = ""
        self._pos = 0
        self._consumed = 0  # characters dropped from the front of the window
        self._eof = False

    def _fill(self) -> bool:
        """Append a chunk; False at end of input."""
        if self._eof:
            return False
        chunk = self._stream.read(CHUNK)
        try:
            text = self._decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError as exc:
            raise DialectError(self.name, f"not UTF-8: {exc.reason}") from None
        if not chunk:
            self._eof = True
        self._consumed += self._pos
        self._buf = self._buf[self._pos :] + text
        self._pos = 0
        return True

    def peek(self) -> str:
        """The next non-blank character, without consuming it; '' at end of input."""
        while True:
            end = _WS.match(self._buf, self._pos).end()  # type: ignore[union-attr]
            self._pos = end
            if end < len(self._buf):
                return self._buf[end]
            if not self._fill():
                return ""

    def expect(self, chars: str, what: str) -> str:
        """Consume and return the next non-blank character, which must be one of ``chars``."""
        char = self.peek()
        if not char:
            raise DialectError(self.name, f"truncated: input ends where {what} was expected")
        if char not in chars:
            raise DialectError(self.name, f"expected {what}, found {char!r} at {self.where()}")
        self._pos += 1
        return char

    def value(self) -> Any:
        """Decode the next JSON value."""
        if not self.peek():
            raise DialectError(self.name, "truncated: input ends where a value was expected")
        while True:
            try:
                value, end = self._scan(self._buf, self._pos)
            except json.JSONDecodeError as exc:
                if self._grow():
                    continue
                if self._eof:
                    raise DialectError(self.name, f"truncated or malformed JSON: {exc.msg}") from None
                raise DialectError(self.name, f"malformed JSON or value over {MAX_VALUE} characters") from None
            if end == len(self._buf) and self._grow():
                continue  # a number may go on in the next chunk
            self._pos = end
            return value

    def _grow(self) -> bool:
        if self._eof or len(self._buf) - self._pos > MAX_VALUE:
            return False
        return self._fill()

    def where(self) -> str:
        return f"character {self._consumed + self._pos}"
