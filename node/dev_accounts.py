"""The development accounts: BIP-39/BIP-32 keys from the standard test mnemonic, as anvil has them."""

from __future__ import annotations

from eth_account import Account
from eth_account.hdaccount import key_from_seed, seed_from_mnemonic
from eth_account.signers.local import LocalAccount

DEV_MNEMONIC = "test test test test test test test test test test test junk"
"""The mnemonic anvil, Hardhat and Foundry use for their funded development accounts."""

_PATH = "m/44'/60'/0'/0/{}"


def dev_accounts(n: int = 10) -> list[LocalAccount]:
    """The first ``n`` accounts of :data:`DEV_MNEMONIC` on the BIP-44 Ethereum path m/44'/60'/0'/0/i.

    The seed is BIP-39 (empty passphrase), the derivation BIP-32, so the addresses are the ones
    anvil prints at start-up (account 0 is 0xf39F...2266).
    """
    if n < 0:
        raise ValueError(f"account count must not be negative, got {n}")
    seed = seed_from_mnemonic(DEV_MNEMONIC, "")
    return [Account.from_key(key_from_seed(seed, _PATH.format(i))) for i in range(n)]
