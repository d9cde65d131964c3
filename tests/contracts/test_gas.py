"""Gas per entry of full batches, against the figures the design promises.

Gas is a deterministic property of the contracts on a given engine, so the promised ceilings
are asserted; the figures themselves are recorded in the test's ``user_properties`` (shown by
``--junitxml`` with ``-o junit_family=legacy``) for reports. Timing is never asserted here.
"""

from __future__ import annotations

import pytest

from tests.contracts.helpers import (
    Status,
    amend,
    chain_time,
    change_status,
    digest,
    new_entry,
    publish,
)
from tests.support import Exchange

pytestmark = pytest.mark.ledger

BATCH = 100
PUBLISH_CEILING = 30_000
STATUS_CHANGE_CEILING = 12_000


def test_gas_per_entry_of_batches_of_100(shared_exchange: Exchange, request: pytest.FixtureRequest) -> None:
    now = chain_time(shared_exchange)
    # realistic content: ASCII list numbers, hash-like tags and commitments, bounded validity
    entries = [
        new_entry(33, domain=1 + i % 11, valid_from=now, valid_until=now + 5 * 365 * 86400) for i in range(BATCH)
    ]
    ids = [e.id_for(33) for e in entries]

    published = publish(shared_exchange, 33, *entries)
    disputed = change_status(shared_exchange, 33, *((eid, Status.DISPUTED) for eid in ids))
    amended = amend(shared_exchange, 33, *((eid, digest("v2"), now, 0) for eid in ids))

    per_entry = {
        "publish": published.gas_used / BATCH,
        "status_change": disputed.gas_used / BATCH,
        "amend": amended.gas_used / BATCH,
    }
    for name, gas in per_entry.items():
        request.node.user_properties.append((f"gas_per_entry_{name}", round(gas)))
    assert per_entry["publish"] <= PUBLISH_CEILING, per_entry
    assert per_entry["status_change"] <= STATUS_CHANGE_CEILING, per_entry
