"""The exchange's state as a replay rebuilds it from the ledger's events, and its digest.

Everything the contracts decide is here: the consortium (members, signers, terms, quorum,
subject-tag key version, proposals and their votes, and the history of every governance
change), every list entry with every version and every status it went through, every
evaluation result with its recognitions, the recognition agreements, and every anchored
checkpoint of every log stream.

State digest
    SHA-256 over ``canonical_json(state)``: the JSON form below with object keys sorted
    (orjson ``OPT_SORT_KEYS``; keys are ASCII, values strings, integers and lists, so the
    bytes are RFC 8785's). It depends only on the events replayed, never on how they were
    paged, so two auditors replaying the same chain to the same block get the same digest.

JSON form (``STATE_FORMAT`` 1), hex lower-case ``0x``::

    consortium  {members: {code: signer}, terms: {code: n}, quorum, tag_key_version,
                 proposals: {id: [kind, proposer, expires_at, payload, created_block,
                                  executed_block, {code: term}]},
                 history: [[block, log_index, event, {details}], ...]}
    entries     {entry_id: [province, list_type, domain, subject_tag, status, statuses,
                            published_block, updated_block,
                            [[commitment, valid_from, valid_until, block], ...]]}
                statuses: every status the entry had, one digit each ("1232")
    results     {result_id: [province, local_id, domain, scheme_id, grade, subject_tag,
                             commitment, evaluated_at, valid_until, status,
                             published_block, updated_block,
                             {province: [yrd_grade, agreement_version, block]}]}
    agreements  {domain: {version: [yrd_levels, block, {"province:scheme": [yrd grades]}]}}
    streams     {stream_id: [owner, name, opened_block,
                             [[index, tree_size, root, anchored_at, block], ...]]}
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import orjson

STATE_FORMAT = 1


class Entry:
    """One list entry; ``versions[v - 1]`` is version ``v`` (commitment, valid-from,
    valid-until, block)."""

    __slots__ = (
        "domain",
        "list_type",
        "province",
        "published",
        "status",
        "statuses",
        "subject_tag",
        "updated",
        "versions",
    )

    def __init__(
        self,
        province: int,
        list_type: int,
        domain: int,
        subject_tag: str,
        status: int,
        statuses: bytearray,
        published: int,
        updated: int,
        versions: list[tuple[str, int, int, int]],
    ) -> None:
        self.province = province
        self.list_type = list_type
        self.domain = domain
        self.subject_tag = subject_tag
        self.status = status
        self.statuses = statuses
        self.published = published
        self.updated = updated
        self.versions = versions

    @property
    def version(self) -> int:
        return len(self.versions)

    def to_json(self) -> list[Any]:
        return [
            self.province,
            self.list_type,
            self.domain,
            self.subject_tag,
            self.status,
            self.statuses.decode("ascii"),
            self.published,
            self.updated,
            [list(v) for v in self.versions],
        ]

    @classmethod
    def from_json(cls, doc: list[Any]) -> Entry:
        p, lt, d, tag, status, statuses, published, updated, versions = doc
        return cls(
            int(p),
            int(lt),
            int(d),
            str(tag),
            int(status),
            bytearray(str(statuses).encode("ascii")),
            int(published),
            int(updated),
            [(str(c), int(vf), int(vu), int(b)) for c, vf, vu, b in versions],
        )


class Result:
    """One evaluation result; ``recognitions[province] = (yrd grade, agreement version, block)``."""

    __slots__ = (
        "commitment",
        "domain",
        "evaluated_at",
        "grade",
        "local_id",
        "province",
        "published",
        "recognitions",
        "scheme_id",
        "status",
        "subject_tag",
        "updated",
        "valid_until",
    )

    def __init__(
        self,
        province: int,
        local_id: str,
        domain: int,
        scheme_id: int,
        grade: int,
        subject_tag: str,
        commitment: str,
        evaluated_at: int,
        valid_until: int,
        status: int,
        published: int,
        updated: int,
        recognitions: dict[int, tuple[int, int, int]],
    ) -> None:
        self.province = province
        self.local_id = local_id
        self.domain = domain
        self.scheme_id = scheme_id
        self.grade = grade
        self.subject_tag = subject_tag
        self.commitment = commitment
        self.evaluated_at = evaluated_at
        self.valid_until = valid_until
        self.status = status
        self.published = published
        self.updated = updated
        self.recognitions = recognitions

    def to_json(self) -> list[Any]:
        return [
            self.province,
            self.local_id,
            self.domain,
            self.scheme_id,
            self.grade,
            self.subject_tag,
            self.commitment,
            self.evaluated_at,
            self.valid_until,
            self.status,
            self.published,
            self.updated,
            {str(p): list(r) for p, r in self.recognitions.items()},
        ]

    @classmethod
    def from_json(cls, doc: list[Any]) -> Result:
        p, lid, d, scheme, grade, tag, c, ev, vu, status, published, updated, recs = doc
        return cls(
            int(p),
            str(lid),
            int(d),
            int(scheme),
            int(grade),
            str(tag),
            str(c),
            int(ev),
            int(vu),
            int(status),
            int(published),
            int(updated),
            {int(k): (int(g), int(v), int(b)) for k, (g, v, b) in recs.items()},
        )


@dataclass(slots=True)
class Proposal:
    kind: int
    proposer: int
    expires_at: int
    payload: str
    created_block: int
    executed_block: int = 0
    votes: dict[int, int] = field(default_factory=dict)  # voter code -> the voter's term

    def to_json(self) -> list[Any]:
        return [
            self.kind,
            self.proposer,
            self.expires_at,
            self.payload,
            self.created_block,
            self.executed_block,
            {str(c): t for c, t in self.votes.items()},
        ]

    @classmethod
    def from_json(cls, doc: list[Any]) -> Proposal:
        kind, proposer, expires, payload, created, executed, votes = doc
        return cls(
            int(kind),
            int(proposer),
            int(expires),
            str(payload),
            int(created),
            int(executed),
            {int(c): int(t) for c, t in votes.items()},
        )


@dataclass(slots=True)
class Consortium:
    members: dict[int, str] = field(default_factory=dict)  # code -> current signer
    terms: dict[int, int] = field(default_factory=dict)  # code -> admissions so far
    quorum: int = 0
    tag_key_version: int = 0
    proposals: dict[int, Proposal] = field(default_factory=dict)
    history: list[list[Any]] = field(default_factory=list)  # [block, log index, event, details]

    def tally(self, proposal: Proposal) -> int:
        """Votes of current members cast in their current term, as ``Consortium._tally``."""
        return sum(1 for code, term in proposal.votes.items() if code in self.members and self.terms[code] == term)

    def signer_at(self, code: int, position: tuple[int, int]) -> str | None:
        """The signer of member ``code`` at ledger position ``(block, log index)``."""
        signer: str | None = None
        for block, log_index, event, details in self.history:
            if (block, log_index) > position:
                break
            if details.get("code") != code:
                continue
            if event in ("MemberAdded", "SignerRotated"):
                signer = details["signer"]
            elif event == "MemberRemoved":
                signer = None
        return signer

    def to_json(self) -> dict[str, Any]:
        return {
            "members": {str(c): s for c, s in self.members.items()},
            "terms": {str(c): t for c, t in self.terms.items()},
            "quorum": self.quorum,
            "tag_key_version": self.tag_key_version,
            "proposals": {str(i): p.to_json() for i, p in self.proposals.items()},
            "history": self.history,
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Consortium:
        return cls(
            members={int(c): str(s) for c, s in doc["members"].items()},
            terms={int(c): int(t) for c, t in doc["terms"].items()},
            quorum=int(doc["quorum"]),
            tag_key_version=int(doc["tag_key_version"]),
            proposals={int(i): Proposal.from_json(p) for i, p in doc["proposals"].items()},
            history=[list(h) for h in doc["history"]],
        )


@dataclass(slots=True)
class Agreement:
    yrd_levels: int
    block: int
    mappings: dict[tuple[int, int], list[int]] = field(default_factory=dict)  # (province, scheme) -> grades


@dataclass(slots=True)
class Stream:
    owner: int
    name: str
    opened_block: int
    checkpoints: list[tuple[int, int, str, int, int]] = field(default_factory=list)
    # (index, tree size, root, anchored at, block)


@dataclass
class LedgerState:
    """Everything a replay rebuilds. ``block`` is the last block replayed (-1 before any)."""

    block: int = -1
    consortium: Consortium = field(default_factory=Consortium)
    entries: dict[str, Entry] = field(default_factory=dict)
    results: dict[str, Result] = field(default_factory=dict)
    agreements: dict[int, dict[int, Agreement]] = field(default_factory=dict)
    streams: dict[str, Stream] = field(default_factory=dict)

    def agreement_in_force(self, domain: int) -> tuple[int, Agreement] | None:
        versions = self.agreements.get(domain)
        if not versions:
            return None
        version = max(versions)
        return version, versions[version]

    def to_json(self) -> dict[str, Any]:
        """The JSON form of the module docstring (without ``block``)."""
        return {
            "format": STATE_FORMAT,
            "consortium": self.consortium.to_json(),
            "entries": {i: e.to_json() for i, e in self.entries.items()},
            "results": {i: r.to_json() for i, r in self.results.items()},
            "agreements": {
                str(d): {
                    str(v): [a.yrd_levels, a.block, {f"{p}:{s}": g for (p, s), g in a.mappings.items()}]
                    for v, a in versions.items()
                }
                for d, versions in self.agreements.items()
            },
            "streams": {
                i: [s.owner, s.name, s.opened_block, [list(c) for c in s.checkpoints]] for i, s in self.streams.items()
            },
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any], *, block: int) -> LedgerState:
        if doc.get("format") != STATE_FORMAT:
            raise ValueError(f"expected state format {STATE_FORMAT}, found {doc.get('format')!r}")
        agreements: dict[int, dict[int, Agreement]] = {}
        for d, versions in doc["agreements"].items():
            agreements[int(d)] = {}
            for v, (levels, b, maps) in versions.items():
                parsed = {}
                for key, grades in maps.items():
                    p, s = key.split(":")
                    parsed[(int(p), int(s))] = [int(g) for g in grades]
                agreements[int(d)][int(v)] = Agreement(int(levels), int(b), parsed)
        return cls(
            block=block,
            consortium=Consortium.from_json(doc["consortium"]),
            entries={str(i): Entry.from_json(e) for i, e in doc["entries"].items()},
            results={str(i): Result.from_json(r) for i, r in doc["results"].items()},
            agreements=agreements,
            streams={
                str(i): Stream(
                    int(o), str(n), int(b), [(int(a), int(s), str(r), int(t), int(k)) for a, s, r, t, k in c]
                )
                for i, (o, n, b, c) in doc["streams"].items()
            },
        )

    def canonical_json(self) -> bytes:
        return orjson.dumps(self.to_json(), option=orjson.OPT_SORT_KEYS)

    def digest(self) -> str:
        """The state digest (see the module docstring), ``sha256:<hex>``."""
        return "sha256:" + hashlib.sha256(self.canonical_json()).hexdigest()
