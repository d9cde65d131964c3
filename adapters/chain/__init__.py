"""What the ledger says about records: state, history, and verification of record packages."""

from adapters.chain.verify import HistoryItem, Verdict, verify_package
from adapters.chain.view import LedgerView

__all__ = ["HistoryItem", "LedgerView", "Verdict", "verify_package"]
