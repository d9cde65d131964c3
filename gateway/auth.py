"""Bearer-token checks on every request, with the signature check remembered per token.

``TokenIssuer.authenticate`` verifies an access token's ES256 signature, type, issuer,
audience and expiry, then the client's certificate against the current CRL. A token that
passed once is remembered (bounded, until it expires), so a later request with it re-checks
only what can change: the clock, and the CRL — at most every ``revocation_recheck`` seconds
per certificate, so that a revocation cuts a live token off within that time without a
``stat`` of the CRL file on every request.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from gateway.errors import CertificateRevoked, TokenExpired, TokenRevoked
from gateway.pki import TrustStore
from gateway.tokens import Principal, TokenIssuer


class Authenticator:
    """Authenticates bearer tokens for one gateway."""

    def __init__(
        self,
        *,
        issuer: TokenIssuer,
        trust: TrustStore,
        clock: Callable[[], dt.datetime],
        revocation_recheck: float = 1.0,
        max_entries: int = 10_000,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._issuer = issuer
        self._trust = trust
        self._clock = clock
        self._recheck = revocation_recheck
        self._monotonic = monotonic
        self._max = max_entries
        self._seen: OrderedDict[str, tuple[Principal, float]] = OrderedDict()  # token -> (principal, checked at)
        self._lock = threading.Lock()

    def authenticate(self, token: str) -> Principal:
        """The principal behind ``token`` (RFC 6750), or an ``InvalidToken`` error."""
        with self._lock:
            seen = self._seen.get(token)
        if seen is None:
            principal = self._issuer.authenticate(token)  # checks the CRL too
            self._remember(token, principal)
            return principal
        principal, checked = seen
        if self._clock() >= principal.expires_at:
            with self._lock:
                self._seen.pop(token, None)
            raise TokenExpired(f"the access token expired at {principal.expires_at:%Y-%m-%dT%H:%M:%SZ}")
        if self._monotonic() - checked >= self._recheck:
            try:
                self._trust.check_not_revoked(principal.certificate_serial)
            except CertificateRevoked as exc:
                raise TokenRevoked(f"the certificate of {principal.client_id} was revoked: {exc}") from exc
            self._remember(token, principal)
        return principal

    def _remember(self, token: str, principal: Principal) -> None:
        with self._lock:
            self._seen[token] = (principal, self._monotonic())
            if len(self._seen) > self._max:
                self._seen.popitem(last=False)
