"""The gateway's ledger index: every entry and result event with its block, time and
transaction, and the current state, kept in the gateway database by a follower of the chain."""
