"""``LedgerView``: read access to the yrdx contracts for one deployment — record state by
``eth_call``, a record's full history by ``eth_getLogs`` on its id topic, and block times."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from node.client import LedgerClient
from node.deploy import Deployment
from node.errors import ContractRevert
from node.events import EventCodec, EventReader, LedgerEvent

ENTRY_EVENTS = ("EntryPublished", "EntryAmended", "EntryStatusChanged")
RESULT_EVENTS = ("ResultPublished", "ResultRevoked", "ResultRecognised")


@dataclass(frozen=True, slots=True)
class EntryState:
    province: int
    list_type: int
    status: int
    domain: int
    version: int
    valid_from: int
    valid_until: int
    updated_at: int


@dataclass(frozen=True, slots=True)
class ResultState:
    province: int
    status: int
    domain: int
    scheme_id: int
    grade: int
    evaluated_at: int
    valid_until: int


class LedgerView:
    """Reads one deployment's contracts through a ledger client and an event reader."""

    def __init__(self, *, client: LedgerClient, deployment: Deployment, reader: EventReader | None = None) -> None:
        self.client = client
        self.deployment = deployment
        self.codec = EventCodec(deployment.addresses())
        self.reader = reader or EventReader(rpc_url=client.rpc_url, codec=self.codec)
        self._lists = client.contract("CreditLists", deployment.address("CreditLists"))
        self._evaluations = client.contract("Evaluations", deployment.address("Evaluations"))
        self._consortium = client.contract("Consortium", deployment.address("Consortium"))
        self._times: OrderedDict[int, int] = OrderedDict()
        self._lock = threading.Lock()

    # -- state ----------------------------------------------------------------------------

    def entry(self, entry_id: bytes) -> EntryState | None:
        try:
            raw = self.client.call(self._lists.functions.entry(entry_id))
        except ContractRevert as exc:
            if exc.name == "CreditListsEntryNotFound":
                return None
            raise
        return EntryState(*raw)

    def result(self, result_id: bytes) -> ResultState | None:
        try:
            raw = self.client.call(self._evaluations.functions.result(result_id))
        except ContractRevert as exc:
            if exc.name == "EvaluationsResultNotFound":
                return None
            raise
        return ResultState(*raw)

    def recognised_grade(self, result_id: bytes, province: int) -> tuple[bool, int, int]:
        recognised, grade, version = self.client.call(self._evaluations.functions.recognisedGrade(result_id, province))
        return bool(recognised), int(grade), int(version)

    def scheme_mapping(self, domain: int, owner: int, scheme_id: int) -> list[int]:
        """The YRD grade of each local grade of a scheme under the agreement in force; empty when
        the domain has no agreement or the agreement does not map the scheme."""
        version, _levels = self.client.call(self._evaluations.functions.agreement(domain))
        if not version:
            return []
        return [
            int(g)
            for g in self.client.call(self._evaluations.functions.schemeMapping(domain, version, owner, scheme_id))
        ]

    def members(self) -> list[int]:
        return [int(c) for c in self.client.call(self._consortium.functions.members())]

    def quorum(self) -> int:
        return int(self.client.call(self._consortium.functions.quorum()))

    def tag_key_version(self) -> int:
        return int(self.client.call(self._consortium.functions.tagKeyVersion()))

    # -- history --------------------------------------------------------------------------

    def history(self, record_id: bytes, *, kind: str = "list-entry") -> list[LedgerEvent]:
        """Every event about one entry (or result), oldest first."""
        contract = "CreditLists" if kind == "list-entry" else "Evaluations"
        names = ENTRY_EVENTS if kind == "list-entry" else RESULT_EVENTS
        topics = [[self.codec.topic(contract, n) for n in names], "0x" + record_id.hex()]
        head = self.reader.head()
        logs = self.reader.raw_logs(
            self.deployment.deploy_block, head, topics=topics, addresses=[self.deployment.address(contract)]
        )
        events = [e for e in (self.codec.decode(log) for log in logs) if e is not None]
        return sorted(events, key=lambda e: e.position)

    def events_by_subject(self, subject_tags: list[bytes]) -> list[LedgerEvent]:
        """Publication events of every entry and result about the given subject tags."""
        out: list[LedgerEvent] = []
        head = self.reader.head()
        for contract, name in (("CreditLists", "EntryPublished"), ("Evaluations", "ResultPublished")):
            topics = [self.codec.topic(contract, name), ["0x" + t.hex() for t in subject_tags]]
            logs = self.reader.raw_logs(
                self.deployment.deploy_block, head, topics=topics, addresses=[self.deployment.address(contract)]
            )
            out.extend(e for e in (self.codec.decode(log) for log in logs) if e is not None)
        return sorted(out, key=lambda e: e.position)

    def block_time(self, number: int) -> int:
        """Timestamp of block ``number`` (cached)."""
        with self._lock:
            if number in self._times:
                self._times.move_to_end(number)
                return self._times[number]
        block: dict[str, Any] = self.client.raw_request("eth_getBlockByNumber", [hex(number), False])
        ts = int(block["timestamp"], 16)
        with self._lock:
            self._times[number] = ts
            if len(self._times) > 100_000:
                self._times.popitem(last=False)
        return ts
