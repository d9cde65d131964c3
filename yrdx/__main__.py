"""``python -m yrdx``: the same as the ``yrdx`` command."""

from yrdx.cli import main

main()
