"""Subjects as the public and authorities see them: search, entity view, record history."""
