"""The operators' and auditors' console of a gateway: one self-contained page at ``/console``
and the JSON it draws from under ``/console/api``, assembled from the ledger index, the
province's store, the audit trail and the Consortium contract."""

from gateway.console.routes import attach, router

__all__ = ["attach", "router"]
