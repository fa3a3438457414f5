"""The public credit portal: server-rendered pages (Jinja2), in Chinese and English."""
