"""Expiry that needs nobody: the daily job that records what the reads already enforce."""
