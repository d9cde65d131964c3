"""Fixtures of the contract suite: deployments shared by the tests of one module."""

from __future__ import annotations

import pytest

from tests.support import ENGINES, Exchange


@pytest.fixture(scope="module", params=ENGINES)
def shared_exchange(request: pytest.FixtureRequest) -> Exchange:
    """One deployment per module and engine, for tests that change no governance state.

    Tests on it isolate themselves by using fresh local ids (``helpers.local_id``) and by
    reading the ledger clock instead of assuming it.
    """
    url: str = request.getfixturevalue(f"{request.param}_url")
    return Exchange.deploy(url)
