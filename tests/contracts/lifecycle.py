"""A Python model of the credit-list entry lifecycle, written from the ICreditLists docstring.

    (none) --publish--> PUBLISHED
    PUBLISHED | AMENDED --object--> DISPUTED
    DISPUTED --objection rejected--> PUBLISHED
    PUBLISHED | AMENDED | DISPUTED --amend (new version, new commitment)--> AMENDED
    PUBLISHED | AMENDED --credit repair, black list only--> REPAIRED
    PUBLISHED | AMENDED | DISPUTED --valid-until reached--> EXPIRED
    any state but REVOKED --withdrawn as wrong--> REVOKED

Each function answers with the custom error the contract must revert with, or ``None`` when
the change is allowed. Checks run in the order the NatSpec lists them: existence, ownership,
legality of the transition, then the transition's own condition.
"""

from __future__ import annotations

from dataclasses import dataclass

from tests.contracts.helpers import ListType, Status

P, D, A, R, E, X = (Status.PUBLISHED, Status.DISPUTED, Status.AMENDED, Status.REPAIRED, Status.EXPIRED, Status.REVOKED)

LEGAL_STATUS_CHANGES: frozenset[tuple[Status, Status]] = frozenset(
    {
        (P, D), (A, D),
        (D, P),
        (P, R), (A, R),
        (P, E), (A, E), (D, E),
        (P, X), (D, X), (A, X), (R, X), (E, X),
    }
)  # fmt: skip
AMENDABLE: frozenset[Status] = frozenset({P, A, D})


@dataclass
class ModelEntry:
    owner: int
    list_type: ListType
    status: Status
    domain: int
    version: int
    valid_from: int
    valid_until: int
    updated_at: int

    def as_tuple(self) -> tuple[int, ...]:
        return (
            self.owner,
            int(self.list_type),
            int(self.status),
            self.domain,
            self.version,
            self.valid_from,
            self.valid_until,
            self.updated_at,
        )


def validity_refusal(valid_from: int, valid_until: int) -> str | None:
    if valid_until != 0 and valid_until <= valid_from:
        return "CreditListsInvalidValidity"
    return None


def status_change_refusal(entry: ModelEntry | None, caller: int, to: Status, now: int) -> str | None:
    """Why ``caller`` may not move ``entry`` to ``to`` at time ``now`` (None: it may)."""
    if entry is None:
        return "CreditListsEntryNotFound"
    if entry.owner != caller:
        return "CreditListsUnauthorized"
    if (entry.status, to) not in LEGAL_STATUS_CHANGES:
        return "CreditListsIllegalTransition"
    if to == R and entry.list_type != ListType.BLACK:
        return "CreditListsRepairNotApplicable"
    if to == E and (entry.valid_until == 0 or now < entry.valid_until):
        return "CreditListsNotYetExpired"
    return None


def amendment_refusal(
    entry: ModelEntry | None, caller: int, commitment: bytes, valid_from: int, valid_until: int
) -> str | None:
    """Why ``caller`` may not amend ``entry`` (None: it may)."""
    if entry is None:
        return "CreditListsEntryNotFound"
    if entry.owner != caller:
        return "CreditListsUnauthorized"
    if entry.status not in AMENDABLE:
        return "CreditListsIllegalTransition"
    if commitment == bytes(32):
        return "CreditListsZeroCommitment"
    return validity_refusal(valid_from, valid_until)
