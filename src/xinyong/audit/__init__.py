"""The tamper-evident audit log: append-only, every entry chained to the one before by hash."""
