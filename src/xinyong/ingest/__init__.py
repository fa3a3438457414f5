"""Ingestion: records from providers, by API and by file, validated against the catalogue."""
