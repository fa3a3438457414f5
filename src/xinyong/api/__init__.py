"""The HTTP API: the application factory, shared dependencies and error handling."""
