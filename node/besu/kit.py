"""Writing a planned network to disk as a kit: genesis, per-node keys and configuration, README.

Layout::

    DIR/genesis.json  network.json  static-nodes.json  permissions_config.toml  README.md
    DIR/<node>/key (0600)  key.pub  config.toml  static-nodes.json  permissions_config.toml

A new kit is built in a sibling directory and renamed into place, so ``DIR`` never holds half a
kit; a directory that already holds files is refused unless ``force``, which rewrites the kit's
own files there and leaves anything else alone.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from node.besu.config import (
    GENESIS_FILE,
    PERMISSIONS_FILE,
    STATIC_NODES_FILE,
    node_config,
    nodes_allowlist,
    static_nodes,
)
from node.besu.errors import BesuKitError, KitExists
from node.besu.network import Network
from node.besu.readme import kit_readme

NETWORK_FILE = "network.json"
README_FILE = "README.md"
CONFIG_FILE = "config.toml"


def write_kit(network: Network, out: Path, *, force: bool = False) -> Path:
    """Write ``network``'s kit to ``out`` and return its resolved path."""
    out = out.expanduser()
    try:
        if out.exists() and not out.is_dir():
            raise KitExists(f"{out} exists and is not a directory")
        if out.is_dir() and any(out.iterdir()):
            if not force:
                raise KitExists(f"{out} is not empty; give another directory, or force to rewrite the kit in it")
            _write_files(network, out)
            return out.resolve()
        out.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
        try:
            _write_files(network, staging)
            staging.chmod(0o755)
            if out.is_dir():
                out.rmdir()  # empty: checked above
            staging.rename(out)
        finally:
            if staging.exists():
                shutil.rmtree(staging)
    except OSError as exc:
        raise BesuKitError(f"cannot write the kit to {out}: {exc.strerror or exc}") from exc
    return out.resolve()


def network_document(network: Network) -> dict[str, Any]:
    """``network.json``: the chain parameters, every node and the genesis accounts."""
    p, t = network.params, network.tolerance
    return {
        "chain_id": p.chain_id,
        "consensus": "qbft",
        "block_period_seconds": p.block_period_seconds,
        "request_timeout_seconds": p.request_timeout_seconds,
        "epoch_length": p.epoch_length,
        "block_gas_limit": p.block_gas_limit,
        "extra_data": network.genesis()["extraData"],
        "quorum": t.quorum,
        "tolerates_stopped": t.stopped,
        "tolerates_byzantine": t.byzantine,
        "nodes": [
            {
                "name": n.name,
                "code": n.member.code,
                "validator": n.address,
                "enode": n.enode,
                "p2p": {"host": n.host, "port": n.p2p_port},
                "rpc_url": n.rpc_url,
            }
            for n in network.nodes
        ],
        "accounts": [
            {"address": a.address, "balance": str(a.balance), "role": a.role, "code": a.code} for a in network.accounts
        ],
    }


def _write_files(network: Network, root: Path) -> None:
    everyone = [n.enode for n in network.nodes]
    _text(root / GENESIS_FILE, json.dumps(network.genesis(), indent=2) + "\n")
    _text(root / NETWORK_FILE, json.dumps(network_document(network), indent=2) + "\n")
    _text(root / STATIC_NODES_FILE, static_nodes(everyone))
    _text(root / PERMISSIONS_FILE, nodes_allowlist(everyone))
    _text(root / README_FILE, kit_readme(network))
    for node in network.nodes:
        directory = root / node.name
        directory.mkdir(mode=0o700, exist_ok=True)
        peers = [p.enode for p in network.peers(node)]
        node.key.write(directory)
        _text(directory / CONFIG_FILE, node_config(network, node))
        _text(directory / STATIC_NODES_FILE, static_nodes(peers))
        _text(directory / PERMISSIONS_FILE, nodes_allowlist(peers))


def _text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
