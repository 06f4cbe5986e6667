"""The database: typed models, the engine (SQLite and PostgreSQL), migrations, units of work."""
