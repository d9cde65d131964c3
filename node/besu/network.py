"""The plan of a QBFT network: one validator node per consortium member, its key, host and ports.

Hosts are IP literals or DNS names (RFC 1123). Nodes that share a host get consecutive ports
from the base ports, in member order, so a local test network on 127.0.0.1 needs no settings
and a production network with one host per province uses the standard ports everywhere.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from node.besu.addresses import checksum, parse_address
from node.besu.errors import InvalidNetworkSpec
from node.besu.genesis import ChainParams, FaultTolerance, fault_tolerance, qbft_genesis
from node.besu.keys import NodeKey, url_host

DEFAULT_HOST = "127.0.0.1"
DEFAULT_P2P_PORT = 30303
DEFAULT_RPC_PORT = 8545
_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)", re.IGNORECASE)
_NAME = re.compile(r"[a-z][a-z0-9-]{0,31}")


@dataclass(frozen=True)
class Member:
    """A consortium member: ``name`` names its node and directory (``sh``), ``code`` is its member code (31)."""

    name: str
    code: int

    def __post_init__(self) -> None:
        if not _NAME.fullmatch(self.name):
            raise InvalidNetworkSpec(f"member name {self.name!r}: lower-case letters, digits and '-', at most 32")
        if not 1 <= self.code <= 255:
            raise InvalidNetworkSpec(f"member code {self.code} is outside 1..255")


@dataclass(frozen=True)
class Node:
    """One validator node of the plan."""

    member: Member
    key: NodeKey
    host: str
    p2p_port: int
    rpc_port: int

    @property
    def name(self) -> str:
        return self.member.name

    @property
    def address(self) -> str:
        """The validator address (EIP-55)."""
        return self.key.address

    @property
    def enode(self) -> str:
        return self.key.enode(self.host, self.p2p_port)

    @property
    def rpc_url(self) -> str:
        return f"http://{url_host(self.host)}:{self.rpc_port}"


@dataclass(frozen=True)
class GenesisAccount:
    """An account the genesis gives a balance: a member's signer (``code``) or the deployer (``code`` None)."""

    address: str
    balance: int
    code: int | None = None

    @property
    def role(self) -> str:
        return "deployer" if self.code is None else f"signer of member {self.code}"


@dataclass(frozen=True)
class Network:
    """Chain parameters, validator nodes in member order, and the genesis accounts."""

    params: ChainParams
    nodes: tuple[Node, ...]
    accounts: tuple[GenesisAccount, ...] = ()

    @property
    def tolerance(self) -> FaultTolerance:
        return fault_tolerance(len(self.nodes))

    @property
    def uses_dns(self) -> bool:
        """Whether some host is a DNS name, which Besu resolves in enode URLs only with ``Xdns-enabled``."""
        return any(not _is_ip(n.host) for n in self.nodes)

    def peers(self, node: Node) -> list[Node]:
        """Every node but ``node``."""
        return [n for n in self.nodes if n.name != node.name]

    def genesis(self) -> dict[str, Any]:
        return qbft_genesis(self.params, [n.address for n in self.nodes], {a.address: a.balance for a in self.accounts})


def consortium_members(founders: Sequence[Member], count: int) -> list[Member]:
    """The first ``count`` of ``founders``, then ``member-<code>`` with the codes after the last founder's."""
    if count < 1:
        raise InvalidNetworkSpec(f"a network needs at least one validator, not {count}")
    members = list(founders[:count])
    next_code = max((m.code for m in founders), default=0) + 1
    while len(members) < count:
        members.append(Member(f"member-{next_code}", next_code))
        next_code += 1
    return members


def plan_network(
    members: Sequence[Member],
    *,
    params: ChainParams | None = None,
    hosts: Mapping[str, str] | None = None,
    host_template: str | None = None,
    p2p_port: int = DEFAULT_P2P_PORT,
    rpc_port: int = DEFAULT_RPC_PORT,
    signers: Mapping[int, str] | None = None,
    deployer: str | None = None,
    balance: int = 0,
    new_key: Callable[[], NodeKey] = NodeKey.generate,
) -> Network:
    """Plan a network of ``members``, each with a fresh node key from ``new_key``.

    A member's host is ``hosts[name]`` (or ``hosts[str(code)]``), else ``host_template``
    formatted with ``name``, ``code`` and ``index`` (1-based), else 127.0.0.1. ``signers``
    (member code to address) and ``deployer`` get ``balance`` wei at genesis.
    """
    _check_members(members)
    hosts = dict(hosts or {})
    by_key = {m.name: m for m in members} | {str(m.code): m for m in members}
    unknown = sorted(set(hosts) - set(by_key))
    if unknown:
        raise InvalidNetworkSpec(f"--host for {', '.join(unknown)}: no such member in this network")
    for base in (p2p_port, rpc_port):
        if not 0 < base < 65536 - len(members):
            raise InvalidNetworkSpec(f"base port {base} leaves no room for {len(members)} nodes")
    used: dict[str, int] = {}
    nodes: list[Node] = []
    for index, member in enumerate(members, start=1):
        host = _host(member, index, hosts, host_template)
        offset = used.get(host, 0)
        used[host] = offset + 1
        nodes.append(Node(member, new_key(), host, p2p_port + offset, rpc_port + offset))
    _check_endpoints(nodes)
    return Network(params or ChainParams(), tuple(nodes), _accounts(members, signers or {}, deployer, balance))


def _check_members(members: Sequence[Member]) -> None:
    if not members:
        raise InvalidNetworkSpec("a network needs at least one member")
    for attr in ("name", "code"):
        values = [getattr(m, attr) for m in members]
        if len(set(values)) != len(values):
            raise InvalidNetworkSpec(f"member {attr}s must be distinct: {values}")


def _host(member: Member, index: int, hosts: Mapping[str, str], template: str | None) -> str:
    host = hosts.get(member.name) or hosts.get(str(member.code))
    if host is None and template is not None:
        try:
            host = template.format(name=member.name, code=member.code, index=index)
        except (KeyError, IndexError, ValueError, AttributeError) as exc:
            raise InvalidNetworkSpec(
                f"host template {template!r}: use {{name}}, {{code}} or {{index}} ({exc})"
            ) from None
    return check_host(host or DEFAULT_HOST)


def check_host(host: str) -> str:
    """``host`` if it is an IP literal or an RFC 1123 DNS name."""
    if _is_ip(host):
        return host
    labels = host.rstrip(".").split(".")
    if len(host) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        raise InvalidNetworkSpec(f"host {host!r} is neither an IP address nor a DNS name")
    return host


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _check_endpoints(nodes: Sequence[Node]) -> None:
    seen: set[tuple[str, int]] = set()
    for n in nodes:
        for port in (n.p2p_port, n.rpc_port):
            if (n.host, port) in seen:
                raise InvalidNetworkSpec(f"{n.host}:{port} is given to two listeners; choose other base ports")
            seen.add((n.host, port))


def _accounts(
    members: Sequence[Member], signers: Mapping[int, str], deployer: str | None, balance: int
) -> tuple[GenesisAccount, ...]:
    if balance < 0:
        raise InvalidNetworkSpec("a genesis balance cannot be negative")
    codes = {m.code for m in members}
    accounts: list[GenesisAccount] = []
    for code, address in sorted(signers.items()):
        if code not in codes:
            raise InvalidNetworkSpec(f"--signer {code}: no member has code {code} in this network")
        accounts.append(GenesisAccount(checksum(parse_address(address, what=f"signer of {code}")), balance, code))
    addresses = [a.address for a in accounts]
    if len(set(addresses)) != len(addresses):
        raise InvalidNetworkSpec("two members cannot share a signer account")
    if deployer is not None:
        address = checksum(parse_address(deployer, what="deployer"))
        if address not in addresses:  # a deployer that is also a signer is funded once
            accounts.append(GenesisAccount(address, balance))
    return tuple(accounts)
