"""Model fixtures live in tests/conftest.py (shared with the dialogue tests)."""
