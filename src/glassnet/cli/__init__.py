"""The ``glassnet`` command."""
