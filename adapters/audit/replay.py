"""The replay: every raw log of the yrdx contracts, in ledger order, folded into ``LedgerState``
with the contracts' rules checked on the way.

The events that make up almost all of a chain (``EntryPublished``, ``EntryAmended``,
``EntryStatusChanged``, ``BatchPublished``, ``ResultPublished``, ``ResultRevoked``,
``ResultRecognised``) are read straight from the JSON-RPC hex strings: their fields are
static ABI words, so each is one slice and one ``int(word, 16)``, and no event object is built.
Every other event goes through ``node.events.EventCodec``.

What is checked (each failure a ``findings`` code):

* list entries: published once, by a member, with valid validity; amended and re-statused
  only by their owner, with the previous status and version the replay has, along the
  transition table of ``adapters.core.lifecycle`` (expiry checked against the block's time);
  every batch announces the count it published under the tag-key version in force;
* results: the id is ``keccak256(province, local id)``; revoked once by the owner; recognised
  by another member, while active and unexpired, at the YRD grade the agreement in force maps
  its grade to, once per agreement version;
* the consortium and agreements: see ``governance``;
* anchors: streams opened once under their id, checkpoints by the stream's owner, indexes in
  sequence, tree sizes strictly growing;
* senders: see ``senders``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from eth_utils.crypto import keccak

from adapters.audit.findings import Findings
from adapters.audit.governance import Governance
from adapters.audit.senders import SenderCheck, province_name
from adapters.audit.state import Agreement, Entry, LedgerState, Result, Stream
from adapters.core.lifecycle import can_amend, transition_error
from adapters.core.model import EntryStatus, ListType
from node.deploy import Deployment
from node.events import EventCodec, LedgerEvent

Log = dict[str, Any]
_EXPIRED = int(EntryStatus.EXPIRED)
_AMENDED = int(EntryStatus.AMENDED)
RESULT_ACTIVE, RESULT_REVOKED = 1, 2
_ZERO32 = "0x" + "0" * 64


class Replayer:
    """Applies raw log pages to ``state``. ``block_time(n)`` gives block ``n``'s timestamp
    when a log does not carry ``blockTimestamp``; ``senders`` (optional) checks who sent the
    writes."""

    def __init__(
        self,
        *,
        deployment: Deployment,
        state: LedgerState,
        findings: Findings,
        block_time: Callable[[int], int],
        senders: SenderCheck | None = None,
    ) -> None:
        self.state = state
        self.findings = findings
        self.codec = EventCodec(deployment.addresses())
        self.senders = senders
        self._block_time = block_time
        self._times: dict[int, int] = {}
        self.governance = Governance(state=state, findings=findings, deployment=deployment, block_time=self._event_time)
        self.counts: dict[str, int] = {}
        self.activity: dict[tuple[int, int], int] = {}  # (block, province) -> events, since the last take
        self._legal: dict[tuple[int, int, int], str | None] = {}
        self._tx: str | None = None
        self._tx_writer: tuple[int, int, int] | None = None  # code, block, log index
        self._published: dict[int, int] = {}  # province -> entries published in this tx so far
        self._log: Log = {}
        self._block = -1
        fast: dict[str, Callable[[Log], int | None]] = {
            "EntryPublished": self._entry_published,
            "EntryAmended": self._entry_amended,
            "EntryStatusChanged": self._status_changed,
            "BatchPublished": self._batch_published,
            "ResultPublished": self._result_published,
            "ResultRevoked": self._result_revoked,
            "ResultRecognised": self._result_recognised,
        }
        self._handlers: dict[tuple[str, str], tuple[str, Callable[[Log], int | None]]] = {}
        for contract, topics in self.codec.topics.items():
            address = self.codec.addresses[contract]
            for name, topic in topics.items():
                self._handlers[(address, topic)] = (name, fast.get(name, self._decoded))

    # -- driving ----------------------------------------------------------------------------

    def apply(self, logs: list[Log]) -> int:
        """Fold a page's logs (in ledger order); returns how many were events of ours."""
        handlers = self._handlers
        counts = self.counts
        activity = self.activity
        applied = 0
        for log in logs:
            topics = log["topics"]
            if not topics or log.get("removed"):
                continue
            found = handlers.get((log["address"].lower(), topics[0]))
            if found is None:
                continue
            name, handler = found
            tx = log["transactionHash"]
            if tx != self._tx:
                self.end_tx()
                self._tx = tx
            self._log = log
            block = self._block = int(log["blockNumber"], 16)
            writer = handler(log)
            if writer is not None:
                self._writer(writer)
            counts[name] = counts.get(name, 0) + 1
            key = (block, writer or 0)
            activity[key] = activity.get(key, 0) + 1
            applied += 1
        return applied

    def end_page(self, to_block: int) -> None:
        """The page is over: close its last transaction, check senders, advance the state."""
        self.end_tx()
        if self.senders is not None:
            self.senders.flush()
        self.state.block = to_block
        self._times.clear()

    def end_tx(self) -> None:
        if self._tx is None:
            return
        for province, n in self._published.items():
            if n:
                self._bad(
                    "BATCH_COUNT_MISMATCH",
                    province,
                    f"{n} entries published without a BatchPublished",
                    tx=self._tx,
                    published=n,
                    announced=0,
                )
        self._published.clear()
        self.governance.end_tx()
        if self._tx_writer is not None and self.senders is not None:
            code, block, log_index = self._tx_writer
            self.senders.expect(self._tx, code, block, log_index)
        self._tx_writer = None
        self._tx = None

    def take_activity(self) -> dict[tuple[int, int], int]:
        out, self.activity = self.activity, {}
        return out

    # -- helpers ----------------------------------------------------------------------------

    def _writer(self, code: int) -> None:
        if code not in self.state.consortium.members:
            self._bad("WRITER_NOT_MEMBER", code, f"a write for {province_name(code)}, no member then")
        if self._tx_writer is None:
            self._tx_writer = (code, self._block, int(self._log["logIndex"], 16))
        elif self._tx_writer[0] != code:
            self._bad(
                "SENDER_NOT_SIGNER",
                code,
                f"one transaction wrote for {province_name(self._tx_writer[0])} and {province_name(code)}",
                provinces=[self._tx_writer[0], code],
            )

    def _bad(self, code: str, province: int, message: str, **evidence: Any) -> None:
        evidence.setdefault("block", self._block)
        evidence.setdefault("tx", self._log.get("transactionHash"))
        self.findings.add(code, province_name(province), message, **evidence)

    def _time(self) -> int:
        ts = self._log.get("blockTimestamp")
        if ts is not None:
            return int(ts, 16)
        block = self._block
        if block not in self._times:
            self._times[block] = self._block_time(block)
        return self._times[block]

    def _event_time(self, event: LedgerEvent) -> int:
        return self._time()

    def _decoded(self, log: Log) -> int | None:
        event = self.codec.decode(log)
        if event is None:
            return None
        if event.contract == "Consortium":
            return self.governance.apply(event)
        if event.name == "AgreementAdopted":
            self._agreement(event)
        elif event.name == "SchemeMapped":
            self._scheme_mapped(event)
        elif event.name == "StreamOpened":
            return self._stream_opened(event)
        elif event.name == "CheckpointAnchored":
            return self._checkpoint(event)
        return None

    # -- list entries -----------------------------------------------------------------------

    def _validity(self, province: int, record: str, valid_from: int, valid_until: int) -> None:
        if valid_until and valid_until <= valid_from:
            self._bad(
                "INVALID_VALIDITY",
                province,
                f"{record}: valid-until {valid_until} not after valid-from {valid_from}",
                record=record,
                valid_from=valid_from,
                valid_until=valid_until,
            )

    def _entry_published(self, log: Log) -> int:
        t, d = log["topics"], log["data"]
        eid, province = t[1], int(t[3], 16)
        block = self._block
        list_type, domain = int(d[2:66], 16), int(d[66:130], 16)
        valid_from, valid_until = int(d[194:258], 16), int(d[258:322], 16)
        self._published[province] = self._published.get(province, 0) + 1
        if eid in self.state.entries:
            self._bad("ENTRY_DUPLICATE", province, f"entry {eid} published again", record=eid)
            return province
        if list_type not in (1, 2) or d[130:194] == _ZERO32[2:]:
            self._bad(
                "ILLEGAL_TRANSITION", province, f"entry {eid} published without list type or commitment", record=eid
            )
        if valid_until and valid_until <= valid_from:
            self._validity(province, eid, valid_from, valid_until)
        self.state.entries[eid] = Entry(
            province,
            list_type,
            domain,
            t[2],
            1,
            bytearray(b"1"),
            block,
            block,
            [("0x" + d[130:194], valid_from, valid_until, block)],
        )
        return province

    def _owned(self, kind: str, rid: str, province: int, owner: int) -> None:
        if province != owner:
            self._bad(
                "ENTRY_NOT_OWNER",
                province,
                f"{province_name(province)} changed {kind} {rid} of {province_name(owner)}",
                record=rid,
                owner=owner,
                writer=province,
            )

    def _entry_amended(self, log: Log) -> int:
        t, d = log["topics"], log["data"]
        eid, province = t[1], int(t[2], 16)
        e = self.state.entries.get(eid)
        if e is None:
            self._bad("ENTRY_UNKNOWN", province, f"amendment of unknown entry {eid}", record=eid)
            return province
        version, previous = int(d[2:66], 16), int(d[66:130], 16)
        valid_from, valid_until = int(d[194:258], 16), int(d[258:322], 16)
        self._owned("entry", eid, province, e.province)
        if previous != e.status:
            self._status_mismatch(province, eid, previous, e.status)
        if not (1 <= e.status <= 6 and can_amend(EntryStatus(e.status))):
            self._bad(
                "ILLEGAL_TRANSITION",
                province,
                f"entry {eid}: a {_status_name(e.status)} entry cannot be amended",
                record=eid,
                transition=[e.status, _AMENDED],
            )
        if version != len(e.versions) + 1:
            self._version_mismatch(province, eid, version, len(e.versions) + 1)
        if valid_until and valid_until <= valid_from:
            self._validity(province, eid, valid_from, valid_until)
        e.versions.append(("0x" + d[130:194], valid_from, valid_until, self._block))
        e.status = _AMENDED
        e.statuses.append(48 + _AMENDED)
        e.updated = self._block
        return province

    def _status_changed(self, log: Log) -> int:
        t, d = log["topics"], log["data"]
        eid, province = t[1], int(t[2], 16)
        e = self.state.entries.get(eid)
        if e is None:
            self._bad("ENTRY_UNKNOWN", province, f"status change of unknown entry {eid}", record=eid)
            return province
        previous, status, version = int(d[2:66], 16), int(d[66:130], 16), int(d[130:194], 16)
        if province != e.province:
            self._owned("entry", eid, province, e.province)
        if previous != e.status:
            self._status_mismatch(province, eid, previous, e.status)
        key = (e.status, status, e.list_type)
        if status == _EXPIRED or key not in self._legal:
            error = self._transition(e, status)
            if status != _EXPIRED:
                self._legal[key] = error
        else:
            error = self._legal[key]
        if error is not None:
            self._bad(
                "ILLEGAL_TRANSITION", province, f"entry {eid}: {error}", record=eid, transition=[e.status, status]
            )
        if version != len(e.versions):
            self._version_mismatch(province, eid, version, len(e.versions))
        if not 1 <= status <= 9:
            return province  # not a status at all: kept out of the digits of ``statuses``
        e.status = status
        e.statuses.append(48 + status)
        e.updated = self._block
        return province

    def _transition(self, e: Entry, status: int) -> str | None:
        if not (1 <= e.status <= 6 and 1 <= status <= 6):
            return f"{e.status} -> {status} is no transition between statuses"
        if status == _AMENDED:
            return "AMENDED is reached only by an amendment"
        now = self._time() if status == _EXPIRED else 0
        return transition_error(
            EntryStatus(e.status),
            EntryStatus(status),
            list_type=ListType(e.list_type) if e.list_type in (1, 2) else ListType.RED,
            valid_until=e.versions[-1][2],
            now=now,
        )

    def _status_mismatch(self, province: int, rid: str, ledger: int, replayed: int) -> None:
        self._bad(
            "STATUS_MISMATCH",
            province,
            f"{rid}: the event's previous status is {_status_name(ledger)}, the replay has {_status_name(replayed)}",
            record=rid,
            ledger=ledger,
            replayed=replayed,
        )

    def _version_mismatch(self, province: int, rid: str, ledger: int, replayed: int) -> None:
        self._bad(
            "VERSION_MISMATCH",
            province,
            f"{rid}: the event's version is {ledger}, the replay expects {replayed}",
            record=rid,
            ledger=ledger,
            replayed=replayed,
        )

    def _batch_published(self, log: Log) -> int:
        t, d = log["topics"], log["data"]
        province = int(t[1], 16)
        tag_key_version, count = int(d[2:66], 16), int(d[66:130], 16)
        published = self._published.pop(province, 0)
        if count != published:
            self._bad(
                "BATCH_COUNT_MISMATCH",
                province,
                f"a batch announces {count} entries and published {published}",
                announced=count,
                published=published,
            )
        current = self.state.consortium.tag_key_version
        if tag_key_version != current:
            self._bad(
                "STALE_TAG_KEY",
                province,
                f"a batch under tag key version {tag_key_version}, version {current} in force",
                ledger=tag_key_version,
                replayed=current,
            )
        return province

    # -- evaluation results -----------------------------------------------------------------

    def _result_published(self, log: Log) -> int:
        t, d = log["topics"], log["data"]
        rid, province = t[1], int(t[3], 16)
        local_id = d[2:66]
        if province < 256 and "0x" + keccak(bytes((province,)) + bytes.fromhex(local_id)).hex() != rid:
            self._bad("RESULT_ID_MISMATCH", province, f"result {rid} is not the id of its local id", record=rid)
        if rid in self.state.results:
            self._bad("ENTRY_DUPLICATE", province, f"result {rid} published again", record=rid)
            return province
        evaluated_at, valid_until = int(d[322:386], 16), int(d[386:450], 16)
        if valid_until and valid_until <= evaluated_at:
            self._validity(province, rid, evaluated_at, valid_until)
        self.state.results[rid] = Result(
            province,
            "0x" + local_id,
            int(d[66:130], 16),
            int(d[130:194], 16),
            int(d[194:258], 16),
            t[2],
            "0x" + d[258:322],
            evaluated_at,
            valid_until,
            RESULT_ACTIVE,
            self._block,
            self._block,
            {},
        )
        return province

    def _result_revoked(self, log: Log) -> int:
        t = log["topics"]
        rid, province = t[1], int(t[2], 16)
        r = self.state.results.get(rid)
        if r is None:
            self._bad("ENTRY_UNKNOWN", province, f"revocation of unknown result {rid}", record=rid)
            return province
        self._owned("result", rid, province, r.province)
        if r.status != RESULT_ACTIVE:
            self._bad(
                "ILLEGAL_TRANSITION", province, f"result {rid} revoked while not active", record=rid, status=r.status
            )
        r.status = RESULT_REVOKED
        r.updated = self._block
        return province

    def _result_recognised(self, log: Log) -> int:
        t, d = log["topics"], log["data"]
        rid, province = t[1], int(t[2], 16)
        yrd_grade, version = int(d[2:66], 16), int(d[66:130], 16)
        r = self.state.results.get(rid)
        if r is None:
            self._bad("ENTRY_UNKNOWN", province, f"recognition of unknown result {rid}", record=rid)
            return province
        problem = self._recognition_problem(r, province, yrd_grade, version)
        if problem:
            self._bad(
                "RECOGNITION_INVALID",
                province,
                f"{province_name(province)} recognised {rid}: {problem}",
                record=rid,
                yrd_grade=yrd_grade,
                agreement_version=version,
            )
        r.recognitions[province] = (yrd_grade, version, self._block)
        return province

    def _recognition_problem(self, r: Result, province: int, yrd_grade: int, version: int) -> str | None:
        if r.status != RESULT_ACTIVE:
            return "the result is not active"
        if r.valid_until and self._time() >= r.valid_until:
            return "the result had expired"
        if province == r.province:
            return "a province cannot recognise its own result"
        in_force = self.state.agreement_in_force(r.domain)
        if in_force is None:
            return f"no agreement for domain {r.domain}"
        current, agreement = in_force
        if version != current:
            return f"agreement version {version}, version {current} in force"
        grades = agreement.mappings.get((r.province, r.scheme_id))
        if not grades or not 1 <= r.grade <= len(grades):
            return f"the agreement does not map grade {r.grade} of scheme {r.scheme_id}"
        if grades[r.grade - 1] != yrd_grade:
            return f"YRD grade {yrd_grade}, the agreement maps grade {r.grade} to {grades[r.grade - 1]}"
        if r.recognitions.get(province, (0, 0, 0))[1] == version:
            return f"recognised under agreement version {version} before"
        return None

    def _agreement(self, e: LedgerEvent) -> None:
        domain, version, levels = int(e.args["domain"]), int(e.args["version"]), int(e.args["yrdLevels"])
        self.governance.effect(("Agreement", domain, levels), e)
        versions = self.state.agreements.setdefault(domain, {})
        expected = max(versions, default=0) + 1
        if version != expected or levels == 0:
            self.findings.add(
                "AGREEMENT_INVALID",
                "consortium",
                f"agreement for domain {domain}: version {version} with {levels} levels, expected version {expected}",
                block=e.block_number,
                tx=e.tx_hash,
                domain=domain,
                version=version,
            )
        versions[version] = Agreement(levels, e.block_number)
        self.state.consortium.history.append(
            [e.block_number, e.log_index, e.name, {"domain": domain, "version": version, "levels": levels}]
        )

    def _scheme_mapped(self, e: LedgerEvent) -> None:
        a = e.args
        domain, version, province, scheme = int(a["domain"]), int(a["version"]), int(a["province"]), int(a["schemeId"])
        grades = [int(g) for g in a["yrdGrades"]]
        self.governance.effect(("Mapping", domain, province, scheme, tuple(grades)), e)
        agreement = self.state.agreements.get(domain, {}).get(version)
        problem = None
        if agreement is None or version != max(self.state.agreements[domain]):
            problem = "no such agreement being adopted"
        elif province not in self.state.consortium.members:
            problem = f"{province} is no member"
        elif not grades or not all(1 <= g <= agreement.yrd_levels for g in grades):
            problem = f"grades {grades} outside 1..{agreement.yrd_levels}"
        elif (province, scheme) in agreement.mappings:
            problem = "the scheme is mapped twice"
        if problem or agreement is None:
            self.findings.add(
                "AGREEMENT_INVALID",
                "consortium",
                f"scheme {scheme} of {province} in domain {domain} version {version}: {problem}",
                block=e.block_number,
                tx=e.tx_hash,
                domain=domain,
                version=version,
            )
            if agreement is None:
                return
        agreement.mappings[(province, scheme)] = grades

    # -- anchors ----------------------------------------------------------------------------

    def _stream_opened(self, e: LedgerEvent) -> int:
        sid, owner, name = str(e.args["streamId"]), int(e.args["owner"]), str(e.args["name"])
        expected = "0x" + keccak(bytes((owner % 256,)) + bytes.fromhex(name[2:])).hex()
        if sid != expected or sid in self.state.streams:
            self._bad(
                "STREAM_INVALID",
                owner,
                f"stream {sid} opened twice or under another id than {expected}",
                stream=sid,
                expected=expected,
            )
        if sid not in self.state.streams:
            self.state.streams[sid] = Stream(owner, name, e.block_number)
        return owner

    def _checkpoint(self, e: LedgerEvent) -> int:
        a = e.args
        sid, owner = str(a["streamId"]), int(a["owner"])
        index, size, root, at = int(a["index"]), int(a["treeSize"]), str(a["root"]), int(a["anchoredAt"])
        stream = self.state.streams.get(sid)
        if stream is None or stream.owner != owner:
            self._bad(
                "STREAM_INVALID",
                owner,
                f"checkpoint of stream {sid} by {province_name(owner)}, which does not own it",
                stream=sid,
            )
            if stream is None:
                stream = self.state.streams[sid] = Stream(owner, "", e.block_number)
        previous = stream.checkpoints[-1] if stream.checkpoints else None
        if index != len(stream.checkpoints):
            self._bad(
                "CHECKPOINT_INDEX_MISMATCH",
                owner,
                f"checkpoint {index} of stream {sid}, expected index {len(stream.checkpoints)}",
                stream=sid,
                ledger=index,
                replayed=len(stream.checkpoints),
            )
        if size <= (previous[1] if previous else 0) or root == _ZERO32:
            self._bad(
                "CHECKPOINT_NOT_GROWING",
                owner,
                f"checkpoint {index} of stream {sid}: tree size {size} after {previous[1] if previous else 0}",
                stream=sid,
                index=index,
                tree_size=size,
                previous=previous[1] if previous else 0,
            )
        stream.checkpoints.append((index, size, root, at, e.block_number))
        return owner


def _status_name(status: int) -> str:
    try:
        return EntryStatus(status).name
    except ValueError:
        return str(status)
