"""Record model, validation, canonical form, commitments, subject tags and record packages."""

from adapters.core.canonical import (
    EVALUATION_TAG,
    LIST_ENTRY_TAG,
    canonical_bytes,
    canonical_record,
    chain_valid_from,
    chain_valid_until,
    commitment,
    entry_id,
    new_salt,
    record_id,
)
from adapters.core.errors import (
    AdapterError,
    DialectError,
    PackageInvalid,
    RecordInvalid,
    TagKeyError,
)
from adapters.core.identifiers import validate_ric, validate_uscc
from adapters.core.model import (
    Domain,
    EntryStatus,
    EvaluationResult,
    ListEntry,
    ListType,
    SourceEntry,
    SourceEvaluation,
    SubjectKind,
)
from adapters.core.package import ExpectedOnChain, RecordPackage, check_package, make_package
from adapters.core.provinces import Province
from adapters.core.tags import TagKeyring, subject_tag
from adapters.core.validate import RecordValidator, validate_entry, validate_evaluation

__all__ = [
    "EVALUATION_TAG",
    "LIST_ENTRY_TAG",
    "AdapterError",
    "DialectError",
    "Domain",
    "EntryStatus",
    "EvaluationResult",
    "ExpectedOnChain",
    "ListEntry",
    "ListType",
    "PackageInvalid",
    "Province",
    "RecordInvalid",
    "RecordPackage",
    "RecordValidator",
    "SourceEntry",
    "SourceEvaluation",
    "SubjectKind",
    "TagKeyError",
    "TagKeyring",
    "canonical_bytes",
    "canonical_record",
    "chain_valid_from",
    "chain_valid_until",
    "check_package",
    "commitment",
    "entry_id",
    "make_package",
    "new_salt",
    "record_id",
    "subject_tag",
    "validate_entry",
    "validate_evaluation",
    "validate_ric",
    "validate_uscc",
]
