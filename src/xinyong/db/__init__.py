"""The database: table definitions, the engine, and Alembic migrations."""
