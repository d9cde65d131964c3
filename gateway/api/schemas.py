"""Request and response schemas of the gateway's HTTP interface (pydantic).

Request schemas refuse unknown fields (``extra="forbid"``); response schemas are separate
classes, so that no internal field can reach an answer by accident. Hex strings are lower-case
and ``0x``-prefixed; times on chain are Unix seconds (``valid_until`` 0: no end).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from adapters.core.package import RECORD_TEXT_LIMITS

Hex32 = Annotated[str, Field(pattern=r"^0x[0-9a-f]{64}$", examples=["0x" + "ab" * 32])]
Hex16 = Annotated[str, Field(pattern=r"^0x[0-9a-f]{32}$")]
Date = Annotated[str, Field(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", examples=["2026-03-01"])]
ProvinceName = Literal["sh", "js", "zj", "ah"]
SubjectKindName = Literal[
    "legal_person",
    "individual_business",
    "natural_person",
    "social_organisation",
    "public_institution",
    "government_body",
]
Uint32 = Annotated[int, Field(ge=0, le=2**32 - 1)]
Version = Annotated[int, Field(ge=1, le=2**32 - 1)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- problems (RFC 9457) and OAuth errors (RFC 6749 section 5.2) --------------------------------


class FieldError(_Out):
    loc: list[str | int]
    msg: str


class Problem(_Out):
    """An error answer, ``application/problem+json`` (RFC 9457)."""

    type: str = Field(description="urn:yrdx:problem:<code>")
    title: str
    status: int
    detail: str
    code: str = Field(description="Stable error code (the OAuth error value where RFC 6749/6750 define one).")
    reason: str = Field(description="The narrower cause, as recorded in the audit trail.")
    errors: list[FieldError] | None = None


class TokenAnswer(_Out):
    """RFC 6749 section 5.1."""

    access_token: str
    token_type: Literal["Bearer"]
    expires_in: int
    scope: str


class OAuthError(_Out):
    """RFC 6749 section 5.2."""

    error: str
    error_description: str


# -- record packages ------------------------------------------------------------------------------


class _EntryRecord(BaseModel):
    province: ProvinceName
    local_id: str = Field(min_length=1, max_length=RECORD_TEXT_LIMITS["local_id"])
    list_type: Literal["red", "black"]
    domain: Annotated[int, Field(ge=0, le=65535)]
    subject_kind: SubjectKindName
    subject_name: str = Field(max_length=RECORD_TEXT_LIMITS["subject_name"])
    subject_id: str = Field(max_length=RECORD_TEXT_LIMITS["subject_id"])
    reason: str = Field(max_length=RECORD_TEXT_LIMITS["reason"])
    legal_basis: str = Field(max_length=RECORD_TEXT_LIMITS["legal_basis"])
    authority_name: str = Field(max_length=RECORD_TEXT_LIMITS["authority_name"])
    authority_uscc: str = Field(max_length=RECORD_TEXT_LIMITS["authority_uscc"])
    decided_on: Date
    valid_from: Date
    valid_until: Date | None


class _EvaluationRecord(BaseModel):
    province: ProvinceName
    local_id: str = Field(min_length=1, max_length=RECORD_TEXT_LIMITS["local_id"])
    subject_kind: SubjectKindName
    subject_name: str = Field(max_length=RECORD_TEXT_LIMITS["subject_name"])
    subject_id: str = Field(max_length=RECORD_TEXT_LIMITS["subject_id"])
    domain: Annotated[int, Field(ge=0, le=65535)]
    scheme_id: Uint32
    grade: str = Field(max_length=RECORD_TEXT_LIMITS["grade"])
    evaluated_on: Date
    valid_until: Date | None


class _Package(BaseModel):
    kind: Literal["list-entry", "evaluation"]
    schema_version: Version
    province: ProvinceName
    entry_id: Hex32
    version: Version
    salt: Hex16
    subject_tag: Hex32
    tag_key_version: Version


class EntryRecordIn(_EntryRecord, _In):
    """A list entry's canonical record."""


class EvaluationRecordIn(_EvaluationRecord, _In):
    """An evaluation result's canonical record."""


class PackageIn(_Package, _In):
    """A record package (``adapters.core.package``): the record, its salt and its ids."""

    record: EntryRecordIn | EvaluationRecordIn


class EntryRecordOut(_EntryRecord, _Out):
    """A list entry's full canonical record."""


class EvaluationRecordOut(_EvaluationRecord, _Out):
    """An evaluation result's full canonical record."""


class PackageOut(_Package, _Out):
    record: EntryRecordOut | EvaluationRecordOut


class PackageKeyIn(_In):
    entry_id: Hex32
    version: Version


class PackageKeyOut(_Out):
    entry_id: str
    version: int


class PackagesQuery(_In):
    """Which packages a peer asks for: (entry id, version) pairs."""

    keys: list[PackageKeyIn] = Field(min_length=1, max_length=500)


class PackagesAnswer(_Out):
    packages: list[PackageOut]
    missing: list[PackageKeyOut]


# -- verification ---------------------------------------------------------------------------------


class RecognitionDetail(_Out):
    province: str
    yrd_grade: str
    agreement_version: int


class HistoryItemOut(_Out):
    """One ledger event about the record: what, where (block, time, transaction) and the
    version and status it left the record in."""

    event: str
    block: int
    time: str
    tx: str
    version: int
    status: str
    detail: RecognitionDetail | None = None


class Recognition(_Out):
    yrd_grade: str
    agreement_version: int


class _AsOf(_Out):
    as_of_block: int = Field(description="The ledger index holds every block up to this one.")
    as_of_time: str = Field(description="That block's time.")
    blocks_behind: int = Field(description="How far that is behind the newest head the gateway has seen.")


class VerifyAnswer(_AsOf):
    """The ledger's verdict on a record package (see ``adapters.chain.verify``)."""

    authentic: bool
    current: bool
    reasons: list[str]
    kind: Literal["list-entry", "evaluation"]
    entry_id: str
    owner: str | None
    version: int
    ledger_version: int | None
    status: str | None
    valid_until: int | None
    published: HistoryItemOut | None
    history: list[HistoryItemOut]
    recognition: dict[str, Recognition] = Field(description="Recognised YRD grade in each other province.")


# -- subjects -------------------------------------------------------------------------------------


class ChainRef(_Out):
    event: str
    block: int
    time: str
    tx: str


class EntryRecordMinimised(_Out):
    """What a credit agency sees of a list entry (see the minimisation table)."""

    list_type: Literal["red", "black"]
    domain: int
    subject_kind: str
    subject_name: str
    reason: str
    authority_name: str
    decided_on: str
    valid_from: str
    valid_until: str | None


class EvaluationRecordMinimised(_Out):
    """What a credit agency sees of an evaluation result."""

    subject_kind: str
    subject_name: str
    domain: int
    scheme_id: int
    grade: str
    evaluated_on: str
    valid_until: str | None


ContentState = Literal["full", "minimised", "withdrawn", "not_synced"]


class _SubjectRecord(_Out):
    entry_id: str
    kind: Literal["list-entry", "evaluation"]
    owner: str
    version: int
    status: str
    domain: int
    valid_from: int
    valid_until: int
    published: ChainRef | None
    last_change: ChainRef | None
    content: ContentState


class SubjectEntry(_SubjectRecord):
    list_type: str
    record: EntryRecordOut | EntryRecordMinimised | None


class SubjectEvaluation(_SubjectRecord):
    record: EvaluationRecordOut | EvaluationRecordMinimised | None
    recognition: dict[str, Recognition]


class SubjectAnswer(_AsOf):
    subject_tags: list[str] = Field(description="The subject's tags under every key version, the current first.")
    purpose: str
    authorisation: str
    entries: list[SubjectEntry]
    evaluations: list[SubjectEvaluation]


class Access(_Out):
    """One recorded request about the subject."""

    index: int
    time: str
    client: str | None
    organisation: str | None
    role: str | None
    purpose: str | None
    authorisation: str | None
    endpoint: str
    status: int
    outcome: str


class AccessLogAnswer(_Out):
    subject_tags: list[str]
    accesses: list[Access]
    next: int | None = Field(description="Pass as ``start`` for the next page; null on the last page.")


# -- history and audit ----------------------------------------------------------------------------


class ChainEventOut(_Out):
    event: str
    block: int
    log_index: int
    time: str
    tx: str
    args: dict[str, Any]


class HistoryAnswer(_AsOf):
    entry_id: str
    kind: Literal["list-entry", "evaluation"]
    owner: str
    events: list[ChainEventOut]
    next: int | None


class AuditEventOut(_Out):
    """An audit event as the log holds it (see ``gateway.audit.events``)."""

    v: int
    seq: int
    gateway: str
    time: str
    client: str | None
    organisation: str | None
    role: str | None
    purpose: str | None
    authorisation: str | None
    endpoint: str
    subject_tag: str | None
    params: str
    status: int
    outcome: str
    answer: str


class AuditEntry(_Out):
    index: int
    leaf_hash: str = Field(description="SHA-256 of 0x00 || the event's RFC 8785 JSON (RFC 9162 section 2.1.1).")
    event: AuditEventOut


class AuditEventsAnswer(_Out):
    tree_size: int
    events: list[AuditEntry]
    next: int | None


class CheckpointOut(_Out):
    index: int
    tree_size: int
    root: str
    anchored_at: int
    block: int | None
    tx: str | None


class CheckpointsAnswer(_Out):
    stream_id: str
    tree_size: int = Field(description="Events in the log now.")
    root: str = Field(description="The log's root now.")
    checkpoints: list[CheckpointOut] = Field(description="Checkpoints anchored on the ledger, from the ledger index.")
    next: int | None


class InclusionAnswer(_Out):
    """RFC 9162 section 2.1.3: the audit path of a leaf in the tree of ``tree_size`` leaves."""

    index: int
    tree_size: int
    leaf_hash: str
    root: str
    proof: list[str]


class ConsistencyAnswer(_Out):
    """RFC 9162 section 2.1.4: the consistency proof between two tree sizes."""

    first: int
    second: int
    first_root: str
    second_root: str
    proof: list[str]


class Health(_Out):
    status: Literal["ok", "degraded"]
    gateway: str
    province: str
    index_block: int | None
    head_block: int | None
    audit_events: int
    anchored_events: int
    problems: list[Literal["index_not_ready", "index_failing", "anchoring_failing"]]
