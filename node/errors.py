"""Errors of the ledger layer.

LedgerError                     root: anything that went wrong talking to the ledger
├── CompileError                the contracts could not be compiled
├── ArtifactError               a compiled artifact is missing or malformed
├── ConfigError                 a setting or key store is unusable
├── RpcUnavailable              the JSON-RPC endpoint cannot be reached (after retries)
├── TransactionFailed           a transaction was mined but failed, or could not be sent
│   └── ContractRevert          it reverted; carries the decoded custom error
├── DeploymentError             a deployment is missing, foreign or does not match
├── ProofError                  a Merkle proof or tree argument does not verify
├── LedgerStoreError            the embedded ledger's data dir is corrupt, foreign, in use or unwritable
└── JsonRpcError                the embedded ledger refused a JSON-RPC request (code, message, data)
"""

from __future__ import annotations

from typing import Any


class LedgerError(Exception):
    """Root of the ledger layer's errors; the message is meant for people."""


class CompileError(LedgerError):
    pass


class ArtifactError(LedgerError):
    pass


class ConfigError(LedgerError):
    pass


class RpcUnavailable(LedgerError):
    pass


class TransactionFailed(LedgerError):
    def __init__(self, message: str, *, tx_hash: str | None = None) -> None:
        super().__init__(message)
        self.tx_hash = tx_hash


class ContractRevert(TransactionFailed):
    """A call or transaction reverted with a contract's custom error.

    ``name`` is the Solidity error name (``CreditListsIllegalTransition``), ``args`` its
    decoded arguments by parameter name. An unknown or string revert has ``name`` ``None``.
    """

    def __init__(
        self,
        name: str | None,
        args: dict[str, Any],
        *,
        raw: bytes = b"",
        tx_hash: str | None = None,
    ) -> None:
        shown = ", ".join(f"{k}={_show(v)}" for k, v in args.items())
        super().__init__(
            f"reverted with {name}({shown})" if name else f"reverted (data 0x{raw.hex()})",
            tx_hash=tx_hash,
        )
        self.name = name
        self.args_by_name = args
        self.raw = raw


class DeploymentError(LedgerError):
    pass


class ProofError(LedgerError):
    pass


class LedgerStoreError(LedgerError):
    """The embedded ledger's data dir cannot be used: corrupt, foreign, or a write failed."""


class JsonRpcError(LedgerError):
    """A JSON-RPC request the embedded ledger refuses, as a JSON-RPC 2.0 error object.

    ``code`` follows JSON-RPC 2.0 and the Ethereum conventions (-32602 invalid params, -32000
    a transaction refused, 3 a reverted call with the revert data in ``data``).
    """

    def __init__(self, code: int, message: str, *, data: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data


def _show(value: Any) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return repr(value)
