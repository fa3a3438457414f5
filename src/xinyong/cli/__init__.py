"""The ``xinyong`` command line: one module per command group."""
