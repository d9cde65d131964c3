"""Besu's per-node files: the TOML configuration file, ``static-nodes.json`` and the nodes allowlist.

Formats per Besu's documentation: a configuration file holds CLI option names without ``--``
("Use a configuration file"); ``static-nodes.json`` is a JSON array of enode URLs ("Static
nodes"); local node permissioning reads ``nodes-allowlist`` from ``permissions_config.toml``
("Use local permissioning"), which must list every bootnode and static node. Account
permissioning is not configured: account rights are the contracts' own.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from node.besu.network import Network, Node

#: what yrdx uses: Ethereum, net and web3 for the adapters and gateway, QBFT for validator votes
RPC_APIS = ("ETH", "NET", "WEB3", "QBFT")
GENESIS_FILE = "genesis.json"
KEY_FILE = "key"
STATIC_NODES_FILE = "static-nodes.json"
PERMISSIONS_FILE = "permissions_config.toml"
DATA_DIR = "data"


def node_config(network: Network, node: Node) -> str:
    """``config.toml`` of ``node``; its paths are relative to the node's directory, Besu's working directory."""
    peers = [p.enode for p in network.peers(node)]
    allow_hosts = list(dict.fromkeys([node.host, "localhost", "127.0.0.1"]))
    lines = [
        f"# Besu validator node {node.name} (member {node.member.code}) of the yrdx QBFT network, "
        f"chain id {network.params.chain_id}.",
        f"# Validator address {node.address}. Start it from this directory: besu --config-file=config.toml",
        _kv("identity", f"yrdx-{node.name}"),
        _kv("data-path", DATA_DIR),
        _kv("genesis-file", f"../{GENESIS_FILE}"),
        _kv("node-private-key-file", KEY_FILE),
        _kv("sync-mode", "FULL"),
        "# free gas: every node must accept zero-priced transactions",
        _kv("min-gas-price", 0),
        _kv("revert-reason-enabled", True),
        "",
        "# peer-to-peer: the other validators, and only they, may connect",
        _kv("p2p-host", node.host),
        _kv("p2p-port", node.p2p_port),
        _kv("static-nodes-file", STATIC_NODES_FILE),
        _kv("bootnodes", peers),
        _kv("permissions-nodes-config-file-enabled", True),
        _kv("permissions-nodes-config-file", PERMISSIONS_FILE),
    ]
    if network.uses_dns:
        lines += ["# enode URLs name hosts by DNS", _kv("Xdns-enabled", True)]
    lines += [
        "",
        f"# JSON-RPC for {node.name}'s own adapter and gateway; QBFT for validator votes.",
        "# Let only those hosts and the operators reach this port.",
        _kv("rpc-http-enabled", True),
        _kv("rpc-http-host", node.host),
        _kv("rpc-http-port", node.rpc_port),
        _kv("rpc-http-api", list(RPC_APIS)),
        _kv("host-allowlist", allow_hosts),
    ]
    return "\n".join(lines) + "\n"


def static_nodes(enodes: Sequence[str]) -> str:
    """``static-nodes.json``: the enode URLs to stay connected to."""
    return json.dumps(list(enodes), indent=2) + "\n"


def nodes_allowlist(enodes: Sequence[str]) -> str:
    """``permissions_config.toml`` with ``nodes-allowlist`` only."""
    return _kv("nodes-allowlist", list(enodes)) + "\n"


def _kv(key: str, value: str | int | bool | list[str]) -> str:
    return f"{key}={_toml(value)}"


def _toml(value: str | int | bool | list[str]) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)  # a TOML basic string: JSON's escapes are TOML's
    return "[" + ",".join(json.dumps(v) for v in value) + "]"
