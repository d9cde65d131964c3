"""From platform exports to the ledger and back: planning deltas, publishing batches, syncing peers."""
