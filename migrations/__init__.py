"""Alembic migrations of botcore's SQL schema (run with `botctl db upgrade`)."""
