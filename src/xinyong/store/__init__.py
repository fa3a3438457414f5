"""The store: subjects resolved by identifier, and records kept as immutable versions."""
