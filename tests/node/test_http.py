"""JSON-RPC sessions take the environment's proxy settings for their endpoint once, when made."""

from __future__ import annotations

import pytest

from node.http import rpc_session


def test_a_session_takes_the_proxy_for_its_endpoint_when_made(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    remote = rpc_session("http://ledger.example:8545")
    local = rpc_session("http://127.0.0.1:8545")
    monkeypatch.delenv("HTTP_PROXY")
    assert remote.proxies.get("http") == "http://proxy.example:3128"
    assert "http" not in local.proxies
    # read once: a later change of the environment does not reach a session already made
    assert remote.trust_env is False
    assert rpc_session("http://ledger.example:8545").proxies.get("http") is None
