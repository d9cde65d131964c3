"""The durable embedded dev ledger: py-evm on SQLite, served over Ethereum JSON-RPC."""

from node.embedded.ledger import EmbeddedLedger

__all__ = ["EmbeddedLedger"]
