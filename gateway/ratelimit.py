"""Per-client rate limits: a token bucket per key (client id, or peer address before
authentication)."""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from gateway.errors import RateLimited


class RateLimitExceeded(RateLimited):
    """``RateLimited`` with the seconds after which a request would pass (``Retry-After``)."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RateLimiter:
    """``rate`` requests per second per key, in bursts of up to ``burst``."""

    def __init__(
        self, *, rate: float, burst: int, max_keys: int = 100_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._rate = rate
        self._burst = float(burst)
        self._max_keys = max_keys
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key -> (tokens, at)
        self._lock = threading.Lock()

    def check(self, key: str) -> None:
        """Take one token for ``key``; ``RateLimitExceeded`` when its bucket is empty."""
        now = self._clock()
        with self._lock:
            tokens, at = self._buckets.pop(key, (self._burst, now))
            tokens = min(self._burst, tokens + (now - at) * self._rate)
            if tokens < 1.0:
                self._buckets[key] = (tokens, now)
                wait = math.ceil((1.0 - tokens) / self._rate)
                raise RateLimitExceeded(
                    f"more than {self._rate:g} requests per second (bursts of {self._burst:.0f}); retry in {wait} s",
                    retry_after=wait,
                )
            self._buckets[key] = (tokens - 1.0, now)
            if len(self._buckets) > self._max_keys:
                self._buckets.popitem(last=False)
