"""The gateway's tamper-evident audit trail: events, their RFC 6962 Merkle log in the gateway
database, group commit, checkpoints anchored on the ledger, and checks against them."""
