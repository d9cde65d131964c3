"""``LoopKeyring``: the consortium's subject-tag keyring for code on the event loop.

``hmac.digest`` (OpenSSL's one-shot HMAC) releases the GIL on every call, however short the
message. On the event loop that hands the GIL to the audit writer, which may keep it for the
whole switch interval before the loop gets it back — longer than the rest of a verification
put together. ``hmac.new`` over ``hashlib`` objects keeps the GIL for messages this short and
gives the same tag (RFC 2104).
"""

from __future__ import annotations

import hashlib
import hmac

from adapters.core.tags import TagKeyring, normalise_subject_id


class LoopKeyring(TagKeyring):
    """A ``TagKeyring`` whose tags are computed without releasing the GIL."""

    __slots__ = ()

    @classmethod
    def of(cls, keyring: TagKeyring) -> LoopKeyring:
        return cls({v: keyring.key(v) for v in keyring.versions}, current=keyring.current_version)

    def tag(self, subject_id: str, version: int | None = None) -> bytes:
        key = self.key(self.current_version if version is None else version)
        return hmac.new(key, normalise_subject_id(subject_id).encode("utf-8"), hashlib.sha256).digest()
