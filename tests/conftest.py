"""Shared fixtures: EVM engines, fresh deployments and per-province ledger clients."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from node.engines import Anvil
from tests.support import ENGINES, Exchange, start_engine


@pytest.fixture(scope="session")
def anvil_url() -> Iterator[str]:
    with Anvil() as anvil:
        yield anvil.url


@pytest.fixture(scope="session")
def embedded_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with start_engine("embedded", tmp_path_factory.mktemp("embedded-ledger")) as url:
        yield url


@pytest.fixture(params=ENGINES)
def ledger_url(request: pytest.FixtureRequest) -> str:
    """The RPC URL of each engine in turn: the conformance suite runs on all of them."""
    url: str = request.getfixturevalue(f"{request.param}_url")
    return url


@pytest.fixture
def exchange(ledger_url: str) -> Exchange:
    """A fresh deployment with the four founding members on the engine under test."""
    return Exchange.deploy(ledger_url)


@pytest.fixture
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent
