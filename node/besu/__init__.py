"""The Hyperledger Besu QBFT network kit: extraData, genesis, node keys and per-node configuration.

``qbft_extra_data`` encodes a genesis ``extraData`` as Besu does; ``plan_network`` and
``write_kit`` make a network of one validator per consortium member (``yrdx network besu``).
"""

from __future__ import annotations

from node.besu.errors import BesuKitError, InvalidAddress, InvalidExtraData, InvalidNetworkSpec, KitExists
from node.besu.extra_data import QbftExtraData, Vote, decode_extra_data, encode_extra_data, qbft_extra_data
from node.besu.genesis import ChainParams, FaultTolerance, fault_tolerance, qbft_genesis
from node.besu.keys import NodeKey, enode_url
from node.besu.kit import network_document, write_kit
from node.besu.network import GenesisAccount, Member, Network, Node, consortium_members, plan_network

__all__ = [
    "BesuKitError",
    "ChainParams",
    "FaultTolerance",
    "GenesisAccount",
    "InvalidAddress",
    "InvalidExtraData",
    "InvalidNetworkSpec",
    "KitExists",
    "Member",
    "Network",
    "Node",
    "NodeKey",
    "QbftExtraData",
    "Vote",
    "consortium_members",
    "decode_extra_data",
    "encode_extra_data",
    "enode_url",
    "fault_tolerance",
    "network_document",
    "plan_network",
    "qbft_extra_data",
    "qbft_genesis",
    "write_kit",
]
