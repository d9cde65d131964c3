"""Errors of the record model, the dialect readers and record packages.

::

    AdapterError                  root: every error raised by ``adapters``
    ├── RecordInvalid             one record breaks a rule: names source, location, field, reason
    ├── DialectError              a whole file or feed cannot be read: wrong encoding,
    │                             truncated, not this dialect, unsafe XML
    ├── PackageInvalid            a record package is malformed or does not verify
    └── TagKeyError               a subject-tag key is missing, too short or its file is unusable

Readers never raise ``RecordInvalid`` for a bad record: they yield a ``Refusal`` and go on.
It is raised by the validators (``validate_uscc``, ``validate_entry``...) when called directly.
"""

from __future__ import annotations

_RAW_LIMIT = 80


class AdapterError(Exception):
    """Root of the adapters' errors; ``str()`` is one readable line."""


class RecordInvalid(AdapterError):
    """A record breaks a rule.

    ``field`` is the model field name (``subject_id``, ``valid_until``...; ``record`` for the
    record as a whole), ``reason`` says what is wrong, ``raw`` is the offending value as found.
    ``source`` (file or URL) and ``location`` (``line 17``, ``rows[16]``...) are filled in by
    readers and are ``None`` when a value is validated on its own.
    """

    def __init__(
        self,
        field: str,
        reason: str,
        *,
        raw: object = None,
        source: str | None = None,
        location: str | None = None,
    ) -> None:
        self.field = field
        self.reason = reason
        self.raw = raw
        self.source = source
        self.location = location
        super().__init__(self.render())

    def render(self) -> str:
        where = ": ".join(p for p in (self.source, self.location) if p)
        head = f"{where}: " if where else ""
        tail = "" if self.raw is None else f" (found {_show(self.raw)})"
        return f"{head}{self.field}: {self.reason}{tail}"

    def at(self, *, source: str | None, location: str | None) -> RecordInvalid:
        """The same failure, located."""
        return RecordInvalid(self.field, self.reason, raw=self.raw, source=source, location=location)


class DialectError(AdapterError):
    """A file or feed cannot be read at all (wrong encoding, truncated, not this dialect)."""

    def __init__(self, source: str, reason: str) -> None:
        self.source = source
        self.reason = reason
        super().__init__(f"{source}: {reason}")


class PackageInvalid(AdapterError):
    """A record package is malformed, or its record does not match its ids or commitment."""


class TagKeyError(AdapterError):
    """A subject-tag key version is unknown, a key is unusable or a keyring file is broken."""


def _show(raw: object) -> str:
    text = repr(raw)
    return text if len(text) <= _RAW_LIMIT else text[: _RAW_LIMIT - 3] + "..."
