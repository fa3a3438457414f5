"""A subject's own file: sign-in, the whole file, hidden records, the access log."""
