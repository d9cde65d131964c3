"""``ConsortiumReader``: the members, signers, quorum and subject-tag key version as the
``Consortium`` contract holds them now, read through the gateway's ledger client and kept for
a few seconds so that a console left open does not call the ledger on every refresh."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from node.client import LedgerClient
from node.deploy import Deployment


@dataclass(frozen=True, slots=True)
class ConsortiumState:
    """The consortium as one read of the contract saw it."""

    members: tuple[int, ...]
    signers: dict[int, str]
    quorum: int
    tag_key_version: int


class ConsortiumReader:
    """Reads the ``Consortium`` contract; answers from memory for ``ttl`` seconds."""

    def __init__(
        self,
        *,
        client: LedgerClient,
        deployment: Deployment,
        ttl: float = 5.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._contract = client.contract("Consortium", deployment.address("Consortium"))
        self._ttl = ttl
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._kept: tuple[float, ConsortiumState] | None = None

    def state(self) -> ConsortiumState:
        """The contract's members (by code), their signers, the quorum and the tag key
        version; raises the ledger's ``LedgerError`` when it cannot be read."""
        with self._lock:
            if self._kept is not None and self._monotonic() - self._kept[0] < self._ttl:
                return self._kept[1]
        f = self._contract.functions
        members = tuple(sorted(int(c) for c in self._client.call(f.members())))
        signers = {code: str(self._client.call(f.signerOf(code))) for code in members}
        state = ConsortiumState(
            members=members,
            signers=signers,
            quorum=int(self._client.call(f.quorum())),
            tag_key_version=int(self._client.call(f.tagKeyVersion())),
        )
        with self._lock:
            self._kept = (self._monotonic(), state)
        return state
