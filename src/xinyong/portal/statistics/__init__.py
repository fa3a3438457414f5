"""The public statistics dashboard (``/statistics``), with charts rendered as SVG."""
