"""The data-directory layout and the wiring of components from it.

A data directory (``.yrdx`` by default) holds everything one machine's exchange needs::

    deployment.json         the deployment manifest
    ledger/                 the embedded ledger (when it is used)
    ledger.url              the JSON-RPC endpoint in use, written by ``yrdx up``
    keys/<p>.json           each province's signing key (eth-account keystore)
    keys/password           the keystores' password (development data dirs only)
    tag-keys.json           the consortium's subject-tag keyring
    stores/<p>.db           each province's store (SQLite)
    exports/<p>/            what the sync loop writes out for each platform
    quarantine/             quarantine reports of ingest runs

Commands take ``--data-dir`` and may override any part (``--rpc``, ``--store``, ...).
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from adapters.core.grades import SCHEMES, YRD_SCALE
from adapters.core.model import RECOGNITION_DOMAINS
from adapters.core.provinces import PROVINCES, Province
from adapters.core.tags import TagKeyring
from adapters.store import Store, sqlite_dsn
from node.calls import encode_call
from node.client import LedgerClient, RetryPolicy
from node.deploy import Deployment, deploy_or_verify
from node.dev_accounts import dev_accounts
from node.errors import ConfigError
from node.keys import load_keystore, write_keystore

DEFAULT_DATA_DIR = Path(".yrdx")
DEV_KDF_ITERATIONS = 2_048  # development keystores only: fast to open, still encrypted


@dataclass(frozen=True)
class DataDir:
    root: Path

    @property
    def manifest(self) -> Path:
        return self.root / "deployment.json"

    @property
    def ledger(self) -> Path:
        return self.root / "ledger"

    @property
    def ledger_url_file(self) -> Path:
        return self.root / "ledger.url"

    @property
    def password_file(self) -> Path:
        return self.root / "keys" / "password"

    @property
    def tag_keys(self) -> Path:
        return self.root / "tag-keys.json"

    def keystore(self, province: Province) -> Path:
        return self.root / "keys" / f"{province.value}.json"

    def store_path(self, province: Province) -> Path:
        return self.root / "stores" / f"{province.value}.db"

    def store_dsn(self, province: Province) -> str:
        return sqlite_dsn(self.store_path(province))

    def export_dir(self, province: Province) -> Path:
        return self.root / "exports" / province.value

    def quarantine_dir(self) -> Path:
        return self.root / "quarantine"

    # -- reading ----------------------------------------------------------------------------

    def rpc_url(self, override: str | None = None) -> str:
        """``override``, else the endpoint ``yrdx up`` recorded, else the environment's."""
        if override:
            return override
        if self.ledger_url_file.exists():
            return self.ledger_url_file.read_text(encoding="utf-8").strip()
        env = os.environ.get("YRDX_LEDGER_RPC_URL")
        if env:
            return env
        raise ConfigError(
            f"no ledger endpoint: give --rpc, set YRDX_LEDGER_RPC_URL, or run `yrdx up --data-dir {self.root}`"
        )

    def deployment(self) -> Deployment:
        return Deployment.load(self.manifest)

    def keyring(self) -> TagKeyring:
        if not self.tag_keys.exists():
            raise ConfigError(f"no subject-tag keyring at {self.tag_keys}")
        return TagKeyring.from_file(self.tag_keys)

    def password(self) -> bytes:
        env = os.environ.get("YRDX_KEY_PASSWORD")
        if env is not None:
            return env.encode("utf-8")
        if self.password_file.exists():
            return self.password_file.read_text(encoding="utf-8").strip().encode("utf-8")
        raise ConfigError(f"no keystore password: set YRDX_KEY_PASSWORD or write {self.password_file}")

    def province_client(
        self, province: Province, *, rpc_url: str, confirmations: int = 0, retry: RetryPolicy | None = None
    ) -> LedgerClient:
        """A ledger client signing with the province's keystore; ``retry`` replaces the default
        backoff for an unreachable endpoint."""
        account = load_keystore(self.keystore(province), self.password())
        return LedgerClient(
            rpc_url=rpc_url, account=account, confirmations=confirmations, retry=retry, poll_interval=0.01
        )

    def open_store(self, province: Province, dsn: str | None = None) -> Store:
        return Store.open(dsn or self.store_dsn(province))


def init_development(data_dir: DataDir, *, rpc_url: str) -> tuple[Deployment, bool]:
    """Prepare a development data dir against ``rpc_url``: keystores of the development
    accounts (1-4 sign for the provinces), a development tag keyring, and the contracts
    deployed once. Existing keys and deployments are kept and verified."""
    accounts = dev_accounts(1 + len(PROVINCES))
    data_dir.root.mkdir(parents=True, exist_ok=True)
    if not data_dir.password_file.exists():
        data_dir.password_file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(data_dir.password_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(secrets.token_urlsafe(24) + "\n")
    password = data_dir.password()
    for i, province in enumerate(PROVINCES):
        path = data_dir.keystore(province)
        if not path.exists():
            write_keystore(accounts[i + 1], path, password, iterations=DEV_KDF_ITERATIONS)
    if not data_dir.tag_keys.exists():
        data_dir.tag_keys.write_bytes(TagKeyring.development().to_json())
    deployer = LedgerClient(rpc_url=rpc_url, account=accounts[0], retry=RetryPolicy(attempts=5))
    deployer.wait_for_endpoint(timeout=30)
    deployment, created = deploy_or_verify(
        deployer,
        data_dir.manifest,
        founding_members={p.code: accounts[i + 1].address for i, p in enumerate(PROVINCES)},
    )
    members = [data_dir.province_client(p, rpc_url=rpc_url) for p in PROVINCES]
    adopt_default_agreements(members, deployment)
    return deployment, created


def adopt_default_agreements(members: list[LedgerClient], deployment: Deployment) -> int:
    """Propose and vote (with the first quorum of ``members``) the default recognition agreement
    of every mutual-recognition domain that has none yet; returns how many were adopted."""
    evaluations = members[0].contract("Evaluations", deployment.address("Evaluations"))
    consortium_address = deployment.address("Consortium")
    quorum = int(members[0].call(members[0].contract("Consortium", consortium_address).functions.quorum()))
    mappings = [(s.province.code, s.scheme_id, s.yrd_indexes()) for s in SCHEMES.values()]
    adopted = 0
    for domain in RECOGNITION_DOMAINS:
        version, _ = members[0].call(evaluations.functions.agreement(int(domain)))
        if version:
            continue
        data = encode_call("Evaluations", "adoptAgreement", int(domain), len(YRD_SCALE), mappings)
        proposer = members[0]
        consortium = proposer.contract("Consortium", consortium_address)
        receipt = proposer.transact(consortium.functions.proposeCall(deployment.address("Evaluations"), data))
        proposal_id = int(receipt.logs[0]["topics"][1], 16)
        for voter in members[1:quorum]:
            voter.transact(voter.contract("Consortium", consortium_address).functions.vote(proposal_id))
        adopted += 1
    return adopted
