"""node.besu: QBFT extraData against Besu's published vectors, node keys, genesis, kit and CLI."""

from __future__ import annotations

import json
import stat
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from eth_utils.address import to_checksum_address
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from node.besu import (
    ChainParams,
    InvalidAddress,
    InvalidExtraData,
    InvalidNetworkSpec,
    KitExists,
    Member,
    Network,
    NodeKey,
    QbftExtraData,
    Vote,
    consortium_members,
    decode_extra_data,
    encode_extra_data,
    enode_url,
    fault_tolerance,
    plan_network,
    qbft_extra_data,
    qbft_genesis,
    write_kit,
)
from node.besu.config import RPC_APIS
from node.besu.errors import BesuKitError
from node.errors import LedgerError
from yrdx.cli import app as yrdx_app

ASSETS = Path(__file__).parent.parent / "assets" / "besu"
EXTRA = json.loads((ASSETS / "qbft_extra_data.json").read_text(encoding="utf-8"))
KEYS = json.loads((ASSETS / "node_keys.json").read_text(encoding="utf-8"))
FOUNDERS = [Member("sh", 31), Member("js", 32), Member("zj", 33), Member("ah", 34)]
N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def key_factory(start: int = 1) -> Callable[[], NodeKey]:
    """Deterministic node keys 0x..01, 0x..02, ..."""
    counter = iter(range(start, start + 1000))
    return lambda: NodeKey(next(counter).to_bytes(32, "big"))


def network(count: int = 4, **kwargs: Any) -> Network:
    return plan_network(consortium_members(FOUNDERS, count), new_key=key_factory(), **kwargs)


def enode_id(enode: str) -> str:
    return enode.removeprefix("enode://").split("@")[0]


# -- extraData against Besu's vectors --------------------------------------------------------


@pytest.mark.parametrize("vector", EXTRA["genesis"], ids=[v["name"] for v in EXTRA["genesis"]])
def test_qbft_extra_data_equals_besu_vectors(vector: dict[str, Any]) -> None:
    assert qbft_extra_data(vector["validators"]) == vector["extra_data"]


@pytest.mark.parametrize("vector", EXTRA["genesis"], ids=[v["name"] for v in EXTRA["genesis"]])
def test_besu_genesis_vectors_decode_to_their_validators(vector: dict[str, Any]) -> None:
    data = decode_extra_data(vector["extra_data"])
    expected = tuple(to_checksum_address("0x" + v.removeprefix("0x")) for v in vector["validators"])
    assert data == QbftExtraData(validators=expected)
    assert "0x" + encode_extra_data(data).hex() == vector["extra_data"]


def test_fully_populated_vector_encodes_and_decodes() -> None:
    v = EXTRA["full"][0]
    data = QbftExtraData(
        validators=tuple(to_checksum_address(a) for a in v["validators"]),
        vanity=bytes.fromhex(v["vanity"][2:]),
        vote=Vote(to_checksum_address(v["vote"]["recipient"]), add=v["vote"]["add"]),
        round=v["round"],
        seals=tuple(bytes.fromhex(s[2:]) for s in v["seals"]),
    )
    assert "0x" + encode_extra_data(data).hex() == v["extra_data"]
    assert decode_extra_data(v["extra_data"]) == data
    assert decode_extra_data(bytes.fromhex(v["extra_data"][2:])) == data


def test_round_zero_is_a_scalar_not_the_ibft_four_bytes() -> None:
    ibft = EXTRA["not_qbft"][0]
    ours = qbft_extra_data(ibft["validators"])
    assert ours != ibft["extra_data"]
    assert ours.endswith("c080c0")  # no vote = empty list, round 0 = empty string, no seals
    with pytest.raises(InvalidExtraData, match="vote must be an RLP list"):
        decode_extra_data(ibft["extra_data"])


def test_drop_vote_is_the_empty_string() -> None:
    recipient = to_checksum_address("0x" + "00" * 19 + "01")
    data = QbftExtraData(validators=(), vote=Vote(recipient, add=False), round=1)
    raw = encode_extra_data(data)
    assert raw.hex().endswith("d694" + "00" * 19 + "01" + "80" + "01" + "c0")  # [recipient, ""], round 1, no seals
    assert decode_extra_data(raw) == data


addresses = st.lists(st.binary(min_size=20, max_size=20), max_size=8, unique=True)


@given(
    validators=addresses,
    vanity=st.binary(min_size=32, max_size=32),
    vote=st.none() | st.tuples(st.binary(min_size=20, max_size=20), st.booleans()),
    round_=st.integers(0, 2**31 - 1),
    seals=st.lists(st.binary(min_size=65, max_size=65), max_size=5),
)
def test_decode_inverts_encode(
    validators: list[bytes], vanity: bytes, vote: tuple[bytes, bool] | None, round_: int, seals: list[bytes]
) -> None:
    data = QbftExtraData(
        validators=tuple(to_checksum_address(a) for a in validators),
        vanity=vanity,
        vote=None if vote is None else Vote(to_checksum_address(vote[0]), vote[1]),
        round=round_,
        seals=tuple(seals),
    )
    assert decode_extra_data(encode_extra_data(data)) == data


@given(addresses)
def test_genesis_extra_data_keeps_validator_order(validators: list[bytes]) -> None:
    hexes = ["0x" + a.hex() for a in validators]
    decoded = decode_extra_data(qbft_extra_data(hexes))
    assert [a.lower() for a in decoded.validators] == hexes
    assert decoded.vote is None and decoded.round == 0 and decoded.seals == ()
    assert decoded.vanity == bytes(32)


def test_addresses_accept_besu_spellings() -> None:
    lower = "0x4592c8e45706cc08b8f44b11e43cba0cfc5892cb"
    spellings = [lower, lower[2:], lower.upper().replace("0X", "0x"), to_checksum_address(lower)]
    assert len({qbft_extra_data([s]) for s in spellings}) == 1


@pytest.mark.parametrize(
    ("validators", "match"),
    [
        (["0x1234"], "40 hex digits"),
        (["0x" + "g" * 40], "40 hex digits"),
        (["0x" + "00" * 21], "40 hex digits"),
        ([" 0x" + "00" * 20], "40 hex digits"),
        (["0x4592C8e45706cc08b8f44b11e43cba0cfc5892cb"], "EIP-55 checksum"),
        (["0x4592c8e45706cc08b8f44b11e43cba0cfc5892cb", "4592C8E45706CC08B8F44B11E43CBA0CFC5892CB"], "listed twice"),
        ([31], "expected a hex string"),
        ("0x4592c8e45706cc08b8f44b11e43cba0cfc5892cb", "not a single string"),
    ],
)
def test_malformed_validators_raise_typed_error(validators: Any, match: str) -> None:
    with pytest.raises(InvalidAddress, match=match) as info:
        qbft_extra_data(validators)
    assert isinstance(info.value, BesuKitError) and isinstance(info.value, LedgerError)


def _rlp(*items: Any) -> bytes:
    import rlp

    encoded: bytes = rlp.encode(list(items))
    return encoded


@pytest.mark.parametrize(
    ("raw", "match"),
    [
        (b"", "empty"),
        ("0xzz", "not hex"),
        (bytes.fromhex("c0"), "5 items"),
        (bytes.fromhex(EXTRA["genesis"][0]["extra_data"][2:]) + b"\x00", "not canonical RLP"),
        (_rlp(bytes(31), [], [], b"", []), "vanity must be 32 bytes"),
        (_rlp(bytes(32), [bytes(19)], [], b"", []), "validator 0 must be 20 bytes"),
        (_rlp(bytes(32), bytes(20), [], b"", []), "validators must be an RLP list"),
        (_rlp(bytes(32), [], [bytes(20), b"\xaa"], b"", []), "neither add"),  # Besu's incorrectVoteType
        (_rlp(bytes(32), [], [bytes(20)], b"", []), r"\[recipient, type\]"),
        (_rlp(bytes(32), [], [], b"\x00\x01", []), "leading zero"),
        (_rlp(bytes(32), [], [], b"\x80\x00\x00\x00", []), "32-bit"),
        (_rlp(bytes(32), [], [], [], []), "scalar, not a list"),
        (_rlp(bytes(32), [], [], b"", [bytes(64)]), "seal 0 must be 65 bytes"),
        (_rlp(bytes(32), [], [], b"", [], b""), "5 items"),
    ],
)
def test_decoder_refuses_what_besu_refuses(raw: bytes | str, match: str) -> None:
    with pytest.raises(InvalidExtraData, match=match):
        decode_extra_data(raw)


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (QbftExtraData(validators=(), vanity=bytes(31)), "vanity"),
        (QbftExtraData(validators=(), round=-1), "round"),
        (QbftExtraData(validators=(), round=2**31), "round"),
        (QbftExtraData(validators=(), seals=(bytes(64),)), "seal 0"),
    ],
)
def test_encoder_refuses_fields_besu_cannot_hold(data: QbftExtraData, match: str) -> None:
    with pytest.raises(InvalidExtraData, match=match):
        encode_extra_data(data)


# -- node keys -------------------------------------------------------------------------------


@pytest.mark.parametrize("vector", KEYS["keys"], ids=[v["name"] for v in KEYS["keys"]])
def test_node_address_derives_from_key(vector: dict[str, Any]) -> None:
    key = NodeKey.from_hex(vector["key_file"])
    assert key.address == to_checksum_address(vector["address"])
    if "public_key" in vector:
        assert key.public_key.hex() == vector["public_key"]
        assert key.enode("172.24.2.8", 30303) == f"enode://{vector['public_key']}@172.24.2.8:30303"


def test_key_file_round_trip_and_permissions(tmp_path: Path) -> None:
    key = NodeKey.from_hex(KEYS["keys"][0]["key_file"])
    key.write(tmp_path)
    text = (tmp_path / "key").read_text(encoding="ascii")
    assert text == "0x" + KEYS["keys"][0]["key_file"]  # Besu's own form: 0x, one line
    assert stat.S_IMODE((tmp_path / "key").stat().st_mode) == 0o600
    assert (tmp_path / "key.pub").read_text(encoding="ascii") == "0x" + KEYS["keys"][0]["public_key"]
    assert NodeKey.from_hex(text + "\n") == key
    (tmp_path / "key").chmod(0o644)
    key.write(tmp_path)  # an existing, too open file is tightened
    assert stat.S_IMODE((tmp_path / "key").stat().st_mode) == 0o600


def test_private_key_stays_out_of_repr() -> None:
    key = NodeKey.from_hex(KEYS["keys"][1]["key_file"])
    assert KEYS["keys"][1]["key_file"][2:] not in repr(key)


@pytest.mark.parametrize("value", [bytes(32), N.to_bytes(32, "big"), (N + 1).to_bytes(32, "big"), b"\x01" * 31])
def test_keys_outside_the_curve_order_are_refused(value: bytes) -> None:
    with pytest.raises(InvalidNetworkSpec):
        NodeKey(value)


@pytest.mark.parametrize("text", ["", "0x12", "zz" * 32, "0x" + "01" * 32 + "\n0x" + "01" * 32])
def test_malformed_key_files_are_refused(text: str) -> None:
    with pytest.raises(InvalidNetworkSpec, match="64 hex digits"):
        NodeKey.from_hex(text)


def test_generate_skips_values_outside_the_curve_order() -> None:
    draws = iter([bytes(32), b"\xff" * 32, (7).to_bytes(32, "big")])
    assert NodeKey.generate(lambda n: next(draws)) == NodeKey((7).to_bytes(32, "big"))
    assert NodeKey.generate() != NodeKey.generate()


def test_enode_url_format() -> None:
    pub = bytes(range(64))
    assert enode_url(pub, "10.0.0.1", 30303) == f"enode://{pub.hex()}@10.0.0.1:30303"
    assert enode_url(pub, "::1", 30303) == f"enode://{pub.hex()}@[::1]:30303"
    for bad in ((pub[:63], "h", 1), (pub, "h", 0), (pub, "h", 65536)):
        with pytest.raises(InvalidNetworkSpec):
            enode_url(*bad)


# -- genesis and network plan ------------------------------------------------------------------


def test_genesis_is_qbft_free_gas_cancun_with_sorted_validators() -> None:
    net = network(signers={31: KEYS["keys"][1]["address"]}, deployer=KEYS["keys"][2]["address"], balance=5)
    doc = json.loads(json.dumps(net.genesis()))
    config = doc["config"]
    assert config["chainId"] == 3134
    assert config["qbft"] == {"blockperiodseconds": 2, "epochlength": 30000, "requesttimeoutseconds": 4}
    assert config["zeroBaseFee"] is True and config["londonBlock"] == 0
    assert config["shanghaiTime"] == 0 and config["cancunTime"] == 0
    assert doc["difficulty"] == "0x1" and doc["baseFeePerGas"] == "0x0"
    assert doc["mixHash"] == "0x63746963616c2062797a616e74696e65206661756c7420746f6c6572616e6365"
    assert int(doc["gasLimit"], 16) == 60_000_000
    ordered = sorted((n.address for n in net.nodes), key=str.lower)
    assert doc["extraData"] == qbft_extra_data(ordered)
    assert list(decode_extra_data(doc["extraData"]).validators) == ordered
    assert doc["alloc"] == {
        KEYS["keys"][1]["address"]: {"balance": "0x5"},
        KEYS["keys"][2]["address"]: {"balance": "0x5"},
    }


def test_genesis_needs_validators_and_sane_balances() -> None:
    with pytest.raises(InvalidNetworkSpec, match="at least one validator"):
        qbft_genesis(ChainParams(), [], {})
    with pytest.raises(InvalidNetworkSpec, match="negative"):
        qbft_genesis(ChainParams(), ["0x" + "11" * 20], {"0x" + "22" * 20: -1})


@pytest.mark.parametrize(
    "kwargs",
    [
        {"chain_id": 0},
        {"block_period_seconds": 0},
        {"block_period_seconds": 4, "request_timeout_seconds": 4},
        {"epoch_length": 0},
        {"block_gas_limit": 1_000_000},
    ],
)
def test_chain_params_are_checked(kwargs: dict[str, int]) -> None:
    with pytest.raises(InvalidNetworkSpec):
        ChainParams(**kwargs)


@pytest.mark.parametrize(
    ("n", "quorum", "stopped", "byzantine"),
    [(1, 1, 0, 0), (2, 2, 0, 0), (3, 2, 1, 0), (4, 3, 1, 1), (5, 4, 1, 1), (7, 5, 2, 2), (10, 7, 3, 3)],
)
def test_fault_tolerance(n: int, quorum: int, stopped: int, byzantine: int) -> None:
    t = fault_tolerance(n)
    assert (t.quorum, t.stopped, t.byzantine) == (quorum, stopped, byzantine)
    assert 3 * t.quorum >= 2 * n  # at least two thirds sign every block (Besu: ceil(2n/3))


def test_members_beyond_the_founders_are_numbered_after_them() -> None:
    assert consortium_members(FOUNDERS, 4) == FOUNDERS
    assert consortium_members(FOUNDERS, 1) == FOUNDERS[:1]
    assert consortium_members(FOUNDERS, 6)[4:] == [Member("member-35", 35), Member("member-36", 36)]
    with pytest.raises(InvalidNetworkSpec):
        consortium_members(FOUNDERS, 0)


def test_local_network_counts_ports_up_on_one_host() -> None:
    net = network()
    assert [(n.host, n.p2p_port, n.rpc_port) for n in net.nodes] == [
        ("127.0.0.1", 30303 + i, 8545 + i) for i in range(4)
    ]
    assert net.nodes[2].rpc_url == "http://127.0.0.1:8547"


def test_hosts_by_name_code_and_template() -> None:
    net = network(hosts={"sh": "10.0.0.1", "32": "10.0.0.2"}, host_template="besu-{name}-{code}-{index}.yrdx.internal")
    assert [n.host for n in net.nodes] == [
        "10.0.0.1",
        "10.0.0.2",
        "besu-zj-33-3.yrdx.internal",
        "besu-ah-34-4.yrdx.internal",
    ]
    assert {n.p2p_port for n in net.nodes} == {30303} and {n.rpc_port for n in net.nodes} == {8545}
    assert net.uses_dns and not network().uses_dns


def test_ipv6_hosts_are_bracketed_in_urls() -> None:
    node = network(1, hosts={"sh": "fd00::1"}).nodes[0]
    assert node.rpc_url == "http://[fd00::1]:8545" and node.enode.endswith("@[fd00::1]:30303")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"hosts": {"gd": "10.0.0.9"}}, "no such member"),
        ({"hosts": {"sh": "bad host!"}}, "neither an IP address nor a DNS name"),
        ({"host_template": "{province}"}, "host template"),
        ({"p2p_port": 65534}, "base port"),
        ({"p2p_port": 8545, "rpc_port": 8546}, "two listeners"),
        ({"signers": {44: "0x" + "11" * 20}}, "no member has code 44"),
        ({"signers": {31: "0x" + "11" * 20, 32: "0x" + "11" * 20}}, "share a signer"),
        ({"signers": {31: "0x1234"}}, "40 hex digits"),
        ({"balance": -1}, "negative"),
    ],
)
def test_plan_refuses_bad_specs(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(BesuKitError, match=match):
        network(**kwargs)


def test_members_must_be_distinct_and_well_named() -> None:
    with pytest.raises(InvalidNetworkSpec, match="distinct"):
        plan_network([Member("sh", 31), Member("sh", 32)])
    with pytest.raises(InvalidNetworkSpec, match="distinct"):
        plan_network([Member("sh", 31), Member("js", 31)])
    for name, code in (("SH", 31), ("../x", 31), ("sh", 0)):
        with pytest.raises(InvalidNetworkSpec):
            Member(name, code)


def test_deployer_that_is_a_signer_is_funded_once() -> None:
    address = to_checksum_address(KEYS["keys"][1]["address"])
    net = network(signers={31: address}, deployer=address.lower(), balance=1)
    assert [(a.address, a.role) for a in net.accounts] == [(address, "signer of member 31")]


# -- the kit on disk -----------------------------------------------------------------------------


@pytest.fixture
def kit(tmp_path: Path) -> Iterator[tuple[Network, Path]]:
    net = network(5, hosts={"sh": "10.0.0.1"})
    yield net, write_kit(net, tmp_path / "kit")


def test_kit_layout(kit: tuple[Network, Path]) -> None:
    net, root = kit
    top = {"genesis.json", "network.json", "static-nodes.json", "permissions_config.toml", "README.md"}
    assert {p.name for p in root.iterdir()} == top | {n.name for n in net.nodes}
    for node in net.nodes:
        files = {p.name for p in (root / node.name).iterdir()}
        assert files == {"key", "key.pub", "config.toml", "static-nodes.json", "permissions_config.toml"}
        assert stat.S_IMODE((root / node.name / "key").stat().st_mode) == 0o600
    assert not [p for p in root.parent.iterdir() if p.name.startswith(".kit.")]  # no staging left


def test_kit_keys_match_genesis_and_enodes(kit: tuple[Network, Path]) -> None:
    net, root = kit
    genesis = json.loads((root / "genesis.json").read_text(encoding="utf-8"))
    on_chain = set(decode_extra_data(genesis["extraData"]).validators)
    from_files = set()
    for node in net.nodes:
        key = NodeKey.from_hex((root / node.name / "key").read_text(encoding="ascii"))
        from_files.add(key.address)
        pub = (root / node.name / "key.pub").read_text(encoding="ascii").removeprefix("0x")
        assert pub == key.public_key.hex() == enode_id(node.enode)
    assert on_chain == from_files == {n.address for n in net.nodes}


def test_each_node_lists_exactly_the_other_nodes(kit: tuple[Network, Path]) -> None:
    net, root = kit
    everyone = [n.enode for n in net.nodes]
    assert json.loads((root / "static-nodes.json").read_text(encoding="utf-8")) == everyone
    assert tomllib.loads((root / "permissions_config.toml").read_text(encoding="utf-8")) == {
        "nodes-allowlist": everyone
    }
    for node in net.nodes:
        others = [e for e in everyone if e != node.enode]
        d = root / node.name
        assert json.loads((d / "static-nodes.json").read_text(encoding="utf-8")) == others
        assert tomllib.loads((d / "permissions_config.toml").read_text(encoding="utf-8")) == {"nodes-allowlist": others}
        assert tomllib.loads((d / "config.toml").read_text(encoding="utf-8"))["bootnodes"] == others


def test_node_config_is_a_besu_config_file(kit: tuple[Network, Path]) -> None:
    net, root = kit
    for node in net.nodes:
        config = tomllib.loads((root / node.name / "config.toml").read_text(encoding="utf-8"))
        assert config["genesis-file"] == "../genesis.json"
        assert (root / node.name / config["genesis-file"]).resolve() == root / "genesis.json"
        assert (root / node.name / config["node-private-key-file"]).is_file()
        assert (root / node.name / config["static-nodes-file"]).is_file()
        assert (root / node.name / config["permissions-nodes-config-file"]).is_file()
        assert config["permissions-nodes-config-file-enabled"] is True
        assert "permissions-accounts-config-file-enabled" not in config  # account rights are the contracts'
        assert config["min-gas-price"] == 0
        assert (config["p2p-host"], config["p2p-port"]) == (node.host, node.p2p_port)
        assert (config["rpc-http-host"], config["rpc-http-port"]) == (node.host, node.rpc_port)
        assert config["rpc-http-api"] == list(RPC_APIS) == ["ETH", "NET", "WEB3", "QBFT"]
        assert node.host in config["host-allowlist"]
        assert config["data-path"] == "data" and config["sync-mode"] == "FULL"
        assert "Xdns-enabled" not in config


def test_dns_hosts_turn_on_besu_dns(tmp_path: Path) -> None:
    net = network(2, host_template="besu-{name}.yrdx.internal")
    root = write_kit(net, tmp_path / "dns")
    config = tomllib.loads((root / "sh" / "config.toml").read_text(encoding="utf-8"))
    assert config["Xdns-enabled"] is True
    assert config["bootnodes"][0].endswith("@besu-js.yrdx.internal:30303")


def test_network_document_and_readme(kit: tuple[Network, Path]) -> None:
    net, root = kit
    doc = json.loads((root / "network.json").read_text(encoding="utf-8"))
    assert [(n["name"], n["code"], n["validator"], n["enode"], n["rpc_url"]) for n in doc["nodes"]] == [
        (n.name, n.member.code, n.address, n.enode, n.rpc_url) for n in net.nodes
    ]
    assert (doc["quorum"], doc["tolerates_stopped"], doc["tolerates_byzantine"]) == (4, 1, 1)
    readme = (root / "README.md").read_text(encoding="utf-8")
    assert "besu --config-file=config.toml" in readme
    assert "yrdx deploy --rpc http://10.0.0.1:8545 --keystore deployer.json" in readme
    assert "--member 35=<signer of member-35>" in readme
    assert "YRDX_LEDGER_RPC_URL" in readme
    for node in net.nodes:
        assert f"`{node.address}`" in readme and f"`{node.rpc_url}`" in readme


def test_existing_kit_is_not_overwritten_unless_forced(kit: tuple[Network, Path]) -> None:
    net, root = kit
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    with pytest.raises(KitExists, match="not empty"):
        write_kit(network(), root)
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == before
    (root / "sh" / "data").mkdir()
    other = network(4, hosts={"sh": "10.0.0.9"})
    write_kit(other, root, force=True)
    assert json.loads((root / "network.json").read_text(encoding="utf-8"))["nodes"][0]["p2p"]["host"] == "10.0.0.9"
    assert (root / "sh" / "data").is_dir()  # force rewrites the kit's files and nothing else
    assert (root / "member-35").is_dir()


def test_a_file_is_no_kit_directory(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x", encoding="utf-8")
    with pytest.raises(KitExists, match="not a directory"):
        write_kit(network(1), tmp_path / "f", force=True)


def test_an_empty_directory_takes_a_kit(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    write_kit(network(1), tmp_path / "empty")
    assert (tmp_path / "empty" / "sh" / "key").is_file()


# -- yrdx network besu ----------------------------------------------------------------------------


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(yrdx_app, ["network", "besu", *args])
    return result.exit_code, result.output


def test_cli_writes_the_kit(tmp_path: Path) -> None:
    out = tmp_path / "net"
    signer = KEYS["keys"][1]["address"]
    code, output = run("--out", str(out), "--chain-id", "777", "--signer", f"31={signer}", "--balance", "0")
    assert code == 0, output
    assert "a block needs 3 of 4 validators; 1 may be down" in output
    genesis = json.loads((out / "genesis.json").read_text(encoding="utf-8"))
    assert genesis["config"]["chainId"] == 777
    assert genesis["alloc"] == {signer: {"balance": "0x0"}}
    for name in ("sh", "js", "zj", "ah"):
        assert stat.S_IMODE((out / name / "key").stat().st_mode) == 0o600
        address = NodeKey.from_hex((out / name / "key").read_text(encoding="ascii")).address
        assert address in output and address in decode_extra_data(genesis["extraData"]).validators


def test_cli_refuses_to_overwrite_unless_forced(tmp_path: Path) -> None:
    out = tmp_path / "net"
    assert run("--out", str(out))[0] == 0
    key = (out / "sh" / "key").read_bytes()
    code, output = run("--out", str(out))
    assert code == 2 and "is not empty" in output
    assert (out / "sh" / "key").read_bytes() == key
    code, output = run("--out", str(out), "--force")
    assert code == 0, output
    assert (out / "sh" / "key").read_bytes() != key


def test_cli_more_validators_hosts_and_template(tmp_path: Path) -> None:
    out = tmp_path / "net"
    code, output = run(
        "--out", str(out), "--validators", "5", "--host", "sh=10.0.0.1", "--host", "35=10.0.0.5",
        "--host-template", "10.0.1.{index}",
    )  # fmt: skip
    assert code == 0, output
    doc = json.loads((out / "network.json").read_text(encoding="utf-8"))
    assert [(n["name"], n["p2p"]["host"]) for n in doc["nodes"]] == [
        ("sh", "10.0.0.1"),
        ("js", "10.0.1.2"),
        ("zj", "10.0.1.3"),
        ("ah", "10.0.1.4"),
        ("member-35", "10.0.0.5"),
    ]
    assert "a block needs 4 of 5 validators; 1 may be down" in output


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (["--host", "sh"], "expected KEY=VALUE"),
        (["--signer", "sh=0x" + "11" * 20], "expected a member code"),
        (["--signer", "35=0x" + "11" * 20], "no member has code 35"),
        (["--block-period", "5", "--request-timeout", "5"], "round timeout"),
    ],
)
def test_cli_reports_bad_options(tmp_path: Path, args: list[str], match: str) -> None:
    code, output = run("--out", str(tmp_path / "net"), *args)
    assert code == 2 and match in output
    assert not (tmp_path / "net").exists()


def test_network_command_is_registered() -> None:
    result = CliRunner().invoke(yrdx_app, ["network", "besu", "--help"])
    assert result.exit_code == 0
    assert "--validators" in result.output and "--host-template" in result.output


def test_cli_node_key(tmp_path: Path) -> None:
    out = tmp_path / "member-35"
    result = CliRunner().invoke(yrdx_app, ["network", "node-key", "--out", str(out), "--host", "10.0.0.5"])
    assert result.exit_code == 0, result.output
    key = NodeKey.from_hex((out / "key").read_text(encoding="ascii"))
    assert stat.S_IMODE((out / "key").stat().st_mode) == 0o600
    assert f"validator address {key.address}" in result.output
    assert f"enode://{key.public_key.hex()}@10.0.0.5:30303" in result.output
    again = CliRunner().invoke(yrdx_app, ["network", "node-key", "--out", str(out)])
    assert again.exit_code == 2 and "never overwritten" in again.output
    assert NodeKey.from_hex((out / "key").read_text(encoding="ascii")) == key
    bad = CliRunner().invoke(yrdx_app, ["network", "node-key", "--out", str(tmp_path / "x"), "--host", "no host"])
    assert bad.exit_code == 2 and not (tmp_path / "x").exists()
