"""Name screening: which subjects in the store a name may stand for (docs/screening.md)."""
