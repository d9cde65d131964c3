"""Errors of the audit: what stops an audit from finishing (a finding is not an error).

::

    AdapterError (adapters.core.errors)
    └── AuditError                    root: the audit cannot be carried out
        ├── ReplayCheckpointInvalid   a saved replay checkpoint is unreadable, foreign or out of step
        ├── ChainMismatch             the endpoint serves another chain than the deployment's
        └── GatewayUnreachable        a gateway cannot be reached or answers outside its contract

Rules broken by the ledger, a store or a gateway are findings (``findings.Discrepancy``), never
exceptions: the audit goes on and reports them all.
"""

from __future__ import annotations

from adapters.core.errors import AdapterError


class AuditError(AdapterError):
    """Root of the audit's errors; ``str()`` is one readable line."""


class ReplayCheckpointInvalid(AuditError):
    pass


class ChainMismatch(AuditError):
    pass


class GatewayUnreachable(AuditError):
    pass
