"""The dev accounts are anvil's: BIP-39 seed of the test mnemonic, BIP-44 path m/44'/60'/0'/0/i."""

from __future__ import annotations

import pytest

from node.dev_accounts import DEV_MNEMONIC, dev_accounts

# as `anvil` prints them at start-up (foundry 1.7.1)
ANVIL_ADDRESSES = (
    "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
    "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
    "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
    "0x90F79bf6EB2c4f870365E785982E1f101E93b906",
    "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65",
    "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc",
    "0x976EA74026E726554dB657fA54763abd0C3a0aa9",
    "0x14dC79964da2C08b23698B3D3cc7Ca32193d9955",
    "0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f",
    "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720",
)


def test_addresses_are_anvils_defaults() -> None:
    assert DEV_MNEMONIC == "test test test test test test test test test test test junk"
    assert tuple(a.address for a in dev_accounts()) == ANVIL_ADDRESSES


def test_first_key_is_the_well_known_one() -> None:
    key = dev_accounts(1)[0].key.hex().removeprefix("0x")
    assert key == "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"


def test_count_is_respected() -> None:
    assert dev_accounts(0) == []
    assert [a.address for a in dev_accounts(3)] == list(ANVIL_ADDRESSES[:3])
    assert len(dev_accounts(25)) == 25
    with pytest.raises(ValueError, match="negative"):
        dev_accounts(-1)
