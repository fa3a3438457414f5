"""Subjects' rights: the declaration of their periods and deadlines (``rights.yaml``)."""
