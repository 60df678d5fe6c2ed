"""Fixtures shared with the CLI tests (a fresh Postgres database per test)."""

from tests.cli.conftest import fresh_pg

__all__ = ["fresh_pg"]
