"""Sub-commands of the ``yrdx`` CLI, one module per command group."""
