"""Errors of the Besu QBFT network kit.

BesuKitError (node.errors.LedgerError)  root: a Besu format or network that cannot be made
├── InvalidAddress                      not a 20-byte hex address (or a wrong EIP-55 checksum)
├── InvalidExtraData                    bytes that are not a QBFT extraData as Besu encodes it
├── InvalidNetworkSpec                  members, hosts, ports or chain parameters that make no network
└── KitExists                           the output directory already holds files
"""

from __future__ import annotations

from node.errors import LedgerError


class BesuKitError(LedgerError):
    """Root of the Besu kit's errors; the message is meant for people."""


class InvalidAddress(BesuKitError):
    pass


class InvalidExtraData(BesuKitError):
    pass


class InvalidNetworkSpec(BesuKitError):
    pass


class KitExists(BesuKitError):
    pass
