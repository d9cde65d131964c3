"""The console's JSON answers (pydantic). Counts are exact; blocks are ledger block numbers;
times are ``YYYY-MM-DDTHH:MM:SSZ``; Chinese names come from ``adapters.core``."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

ListTypeName = Literal["red", "black"]
KindName = Literal["list-entry", "evaluation"]


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProvinceOut(_Out):
    code: int
    short: str
    name_zh: str
    name_en: str


class SessionAnswer(_Out):
    """Who the token names, and what the console lets them do."""

    gateway: str
    province: ProvinceOut
    client: str
    organisation: str
    role: Literal["province", "agency", "auditor"]
    client_province: str | None
    scopes: list[str]
    expires_at: str
    can_query_subjects: bool


class MemberOut(_Out):
    code: int
    short: str
    name_zh: str | None
    name_en: str | None
    signer: str | None
    this_gateway: bool


class ConsortiumAnswer(_Out):
    """Members, quorum and tag key version from the ``Consortium`` contract; the members from
    the ledger index (``source: index``) when the ledger cannot be read."""

    source: Literal["ledger", "index"]
    members: list[MemberOut]
    quorum: int | None
    tag_key_version: int | None
    keyring_versions: list[int]
    ledger_error: str | None
    index_block: int | None
    head_block: int | None


class ProvinceCounts(_Out):
    code: int
    short: str
    name_zh: str
    total: int
    red: int
    black: int
    evaluations: int
    entry_statuses: dict[str, int]
    evaluation_statuses: dict[str, int]


class DomainCounts(_Out):
    domain: int
    name_zh: str
    red: int
    black: int
    evaluations: int
    total: int


class CountCell(_Out):
    province: int
    kind: KindName
    list_type: ListTypeName | None
    domain: int
    status: str
    count: int


class CountsAnswer(_Out):
    """Records on the ledger as the index holds them at ``index_block``."""

    index_block: int | None
    total: int
    provinces: list[ProvinceCounts]
    domains: list[DomainCounts]
    cells: list[CountCell]


class PeerSync(_Out):
    """How current this province's copies of one peer's records are. ``lag_blocks``: blocks
    from the store's sync cursor to the newest of the peer's indexed ledger changes the syncer
    has not read yet (0: none waits)."""

    code: int
    short: str
    name_zh: str
    ledger_records: int
    copies: int
    missing_content: int
    pending_events: int
    oldest_pending_block: int | None
    lag_blocks: int
    state: Literal["current", "behind"]


class SyncAnswer(_Out):
    province: ProvinceOut
    sync_block: int | None
    index_block: int | None
    head_block: int | None
    own_records: int
    own_on_ledger: int
    peers: list[PeerSync]


class EventOut(_Out):
    block: int
    time: str
    event: str
    record_id: str
    owner: str
    kind: KindName
    list_type: ListTypeName | None
    domain: int
    domain_zh: str
    status: str | None
    version: int | None
    by: str | None
    tx: str


class BucketOut(_Out):
    first_block: int
    last_block: int
    published: int
    changed: int


class ActivityAnswer(_Out):
    index_block: int | None
    publications: list[EventOut]
    changes: list[EventOut]
    buckets: list[BucketOut]


class CheckpointOut(_Out):
    index: int
    tree_size: int
    root: str
    anchored_at: str
    age_seconds: int
    block: int
    tx: str


class AuditAnswer(_Out):
    """The audit trail's size, what of it is anchored on the ledger and how anchoring fares."""

    stream_id: str
    tree_size: int
    anchored_size: int
    unanchored: int
    health: Literal["ok", "lagging", "failing", "off"]
    problems: list[str]
    last_error: str | None
    every_events: int
    every_seconds: float
    checkpoint_count: int
    journal: dict[str, int]
    checkpoints: list[CheckpointOut]
