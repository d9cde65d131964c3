"""The list-entry lifecycle, as the CreditLists contract enforces it.

    (none) --publish--> PUBLISHED
    PUBLISHED | AMENDED --object--> DISPUTED
    DISPUTED --objection rejected--> PUBLISHED
    PUBLISHED | AMENDED | DISPUTED --amend--> AMENDED (new version, new commitment)
    PUBLISHED | AMENDED --credit repair, black list only--> REPAIRED
    PUBLISHED | AMENDED | DISPUTED --valid-until reached--> EXPIRED
    any state but REVOKED --withdrawn as wrong--> REVOKED

Checking a change here first keeps refused transitions out of the ledger batches; the auditor
replays the ledger against the same table.
"""

from __future__ import annotations

from adapters.core.model import EntryStatus, ListType

_ACTIVE = frozenset({EntryStatus.PUBLISHED, EntryStatus.AMENDED})


def can_amend(current: EntryStatus) -> bool:
    return current in _ACTIVE or current is EntryStatus.DISPUTED


def transition_error(
    current: EntryStatus,
    target: EntryStatus,
    *,
    list_type: ListType,
    valid_until: int,
    now: int,
) -> str | None:
    """Why ``current → target`` is refused (None when it is legal). AMENDED is reached only by
    an amendment (see ``can_amend``). ``valid_until`` and ``now`` are Unix seconds; 0 = open."""
    if target is EntryStatus.DISPUTED:
        legal = current in _ACTIVE
    elif target is EntryStatus.PUBLISHED:
        legal = current is EntryStatus.DISPUTED
    elif target is EntryStatus.REPAIRED:
        legal = current in _ACTIVE
        if legal and list_type is not ListType.BLACK:
            return "credit repair applies to black-list entries only"
    elif target is EntryStatus.EXPIRED:
        legal = current in _ACTIVE or current is EntryStatus.DISPUTED
        if legal and (valid_until == 0 or now < valid_until):
            return "the entry cannot expire before its valid-until date has passed"
    elif target is EntryStatus.REVOKED:
        legal = current is not EntryStatus.REVOKED
    else:
        legal = False
    if not legal:
        return f"a {current.name} entry cannot become {target.name}"
    return None
