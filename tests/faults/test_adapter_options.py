"""The ``yrdx adapter`` options the fault suite drives: ``--retry-for`` (how long an adapter
outlasts an unreachable ledger) and ``sync --gateway PROVINCE=URL`` (packages over HTTP)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from node.client import RetryPolicy
from yrdx.cli import app
from yrdx.commands.adapter import retry_policy


def _expected_total(policy: RetryPolicy) -> float:
    """The mean of the policy's jittered delays, summed (each is uniform up to its ceiling)."""
    return float(sum(min(policy.max_delay, policy.initial_delay * 2**i) / 2 for i in range(policy.attempts - 1)))


def test_without_retry_for_the_client_keeps_its_default() -> None:
    assert retry_policy(None) is None
    assert retry_policy(10) == RetryPolicy()  # the default expects about ten seconds


@pytest.mark.parametrize("seconds", [1, 30, 240, 900])
def test_retry_for_keeps_trying_about_that_long(seconds: float) -> None:
    policy = retry_policy(seconds)
    assert policy is not None
    assert seconds <= _expected_total(policy) < seconds + policy.max_delay


@pytest.mark.parametrize("spec", ["zj", "zj=", "xx=http://127.0.0.1:1", "zj=127.0.0.1:8103"])
def test_a_malformed_gateway_is_refused_before_anything_runs(spec: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["adapter", "sync", "--province", "sh", "--gateway", spec, "--data-dir", str(tmp_path / "none")]
    )
    assert result.exit_code == 2, result.output
    assert "--gateway" in result.output or "province" in result.output.lower(), result.output
    assert not (tmp_path / "none").exists()
