"""The auditor's replay: every ledger event from the deployment block, the exchange's state
rebuilt and its rules checked on the way, and cross-checks of province stores and gateway audit
trails against the rebuilt state. See ``run`` for the whole audit and ``findings`` for the
discrepancy codes a report names."""
