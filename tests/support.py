"""Test support: engines, a freshly deployed exchange and per-province clients."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount
from web3.contract import Contract

from node.client import LedgerClient, Receipt, RetryPolicy
from node.deploy import Deployment, deploy
from node.dev_accounts import dev_accounts
from node.engines import Anvil

ENGINES = ("embedded", "anvil")
PROVINCE_CODES = (31, 32, 33, 34)


@cache
def _dev_accounts() -> tuple[LocalAccount, ...]:
    return tuple(dev_accounts(10))


def dev_account(index: int) -> LocalAccount:
    return _dev_accounts()[index]


@contextlib.contextmanager
def start_engine(name: str, data_dir: Path) -> Iterator[str]:
    """Start engine ``name`` ("embedded" or "anvil") and yield its RPC URL."""
    if name == "anvil":
        with Anvil() as anvil:
            yield anvil.url
    elif name == "embedded":
        from node.embedded import EmbeddedLedger

        with EmbeddedLedger(data_dir) as ledger:
            yield ledger.url
    else:
        raise ValueError(name)


FAST_RETRY = RetryPolicy(attempts=3, initial_delay=0.05, max_delay=0.2)


@dataclass
class Exchange:
    """A deployment of the yrdx contracts with the four founding members.

    Accounts: 0 deploys, 1-4 are the signers of provinces 31-34, 5-9 are spare (outsiders,
    new members, rotated keys).
    """

    url: str
    deployment: Deployment
    clients: dict[int, LedgerClient]

    @classmethod
    def deploy(cls, url: str, *, quorum: int = 3, proposal_ttl: int = 7 * 24 * 3600) -> Exchange:
        deployer = LedgerClient(rpc_url=url, account=dev_account(0), retry=FAST_RETRY, poll_interval=0.005)
        members = {code: dev_account(i + 1).address for i, code in enumerate(PROVINCE_CODES)}
        deployment = deploy(deployer, founding_members=members, quorum=quorum, proposal_ttl=proposal_ttl)
        clients = {code: cls.client_for(url, dev_account(i + 1)) for i, code in enumerate(PROVINCE_CODES)}
        return cls(url, deployment, clients)

    @staticmethod
    def client_for(url: str, account: LocalAccount) -> LedgerClient:
        return LedgerClient(rpc_url=url, account=account, retry=FAST_RETRY, poll_interval=0.005)

    def account_client(self, index: int) -> LedgerClient:
        """A client signing with dev account ``index`` (5-9 are not members)."""
        return self.client_for(self.url, dev_account(index))

    def contract(self, name: str, client: LedgerClient | None = None) -> Contract:
        client = client or self.clients[31]
        return client.contract(name, self.deployment.address(name))

    def send(self, who: int | LedgerClient, contract: str, function: str, *args: Any) -> Receipt:
        """Transact ``contract.function(*args)`` as province ``who`` (a code) or a given client."""
        client = self.clients[who] if isinstance(who, int) else who
        fn = getattr(self.contract(contract, client).functions, function)(*args)
        return client.transact(fn)

    def call(self, contract: str, function: str, *args: Any, block: int | str = "latest") -> Any:
        client = self.clients[31]
        fn = getattr(self.contract(contract, client).functions, function)(*args)
        return client.call(fn, block=block)

    def advance_time(self, seconds: int) -> None:
        """Move the ledger clock forward and mine a block, so views see the new time."""
        client = self.clients[31]
        client.raw_request("evm_increaseTime", [seconds])
        client.raw_request("evm_mine", [])

    def events(self, receipt: Receipt, contract: str) -> list[Any]:
        """The decoded events of ``contract`` in ``receipt`` (web3 processing, for tests)."""
        c = self.contract(contract)
        out = []
        for log in receipt.logs:
            if str(log["address"]).lower() != c.address.lower():
                continue
            for event in c.events:
                try:
                    out.append(event().process_log(log))
                    break
                except Exception:  # noqa: S112 - not this event's signature
                    continue
        return out
