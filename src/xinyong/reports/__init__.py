"""Verifiable credit reports: PDF, signed with Ed25519, with an id and a QR code."""
