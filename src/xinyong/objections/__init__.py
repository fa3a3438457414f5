"""Objections (异议): a subject contests a record, a publicity period, a listing, a grade
or a restoration result; the deciding authority answers within working days."""
