"""Fixtures of the audit tests: one development exchange on the session's anvil, built once;
each test that tampers works on its own copy of the data dir."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.audit.support import DevExchange, build


@pytest.fixture(scope="session")
def dev_exchange(anvil_url: str, tmp_path_factory: pytest.TempPathFactory) -> DevExchange:
    return build(tmp_path_factory.mktemp("audit") / "exchange", anvil_url)


@pytest.fixture
def exchange_copy(dev_exchange: DevExchange, tmp_path: Path) -> DevExchange:
    """The exchange with its own copies of the stores, to tamper with."""
    return dev_exchange.copy(tmp_path / "exchange")
