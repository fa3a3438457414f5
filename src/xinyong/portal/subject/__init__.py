"""The subject area of the portal (``/me``): a signed-in person's or organisation's own file."""
