"""The authority console (``/console``): an authority's clerk's daily work, in pages."""
