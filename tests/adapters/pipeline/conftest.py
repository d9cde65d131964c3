"""Fixtures of the pipeline tests: a development data dir deployed on anvil, with the four
provinces' stores on the backend under test (see ``tests/adapters/conftest.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.adapters.conftest import StoreFactory
from tests.adapters.pipeline.support import Net
from yrdx.context import DataDir, init_development


@pytest.fixture
def net(anvil_url: str, stores: StoreFactory, tmp_path: Path) -> Iterator[Net]:
    """A fresh deployment on the session's anvil, a development data dir for it, and empty
    stores for the four provinces."""
    data_dir = DataDir(tmp_path / "data")
    deployment, _ = init_development(data_dir, rpc_url=anvil_url)
    data_dir.ledger_url_file.write_text(anvil_url, encoding="utf-8")
    with Net(data_dir, anvil_url, deployment, stores) as n:
        yield n
