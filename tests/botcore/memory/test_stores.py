"""Long-term memory split by concern (issue #15): one protocol per concern, one module per
concern, each small; the SQL tier implements every protocol and each concern's methods live in
that concern's module."""

from __future__ import annotations

from pathlib import Path

import pytest

from botcore.memory import stores
from botcore.memory.sql_engine import make_engine
from botcore.memory.sql_store import SqlMemory

CONCERNS = {
    stores.UserStore: "botcore.memory.sql_users",
    stores.ConversationStore: "botcore.memory.sql_conversations",
    stores.FactStore: "botcore.memory.sql_facts",
    stores.PrivacyStore: "botcore.memory.sql_privacy",
    stores.AdminStore: "botcore.memory.sql_admin",
}
MEMORY = Path(__file__).resolve().parents[3] / "botcore" / "memory"


def _public(protocol: type) -> list[str]:
    return [n for n in vars(protocol) if not n.startswith("_") and callable(vars(protocol)[n])]


@pytest.mark.asyncio
async def test_the_sql_tier_implements_every_concern(tmp_path: Path) -> None:
    store = SqlMemory(make_engine(f"sqlite+aiosqlite:///{tmp_path / 'm.db'}"))
    try:
        for protocol in (*CONCERNS, stores.LongTermMemory, stores.SqlAccess):
            assert isinstance(store, protocol), protocol.__name__
    finally:
        await store.aclose()


def test_each_concern_lives_in_its_own_module() -> None:
    seen: set[str] = set()
    for protocol, module in CONCERNS.items():
        names = _public(protocol)
        assert names, protocol.__name__
        for name in names:
            assert getattr(SqlMemory, name).__module__ == module, (protocol.__name__, name)
            assert name not in seen, f"{name} is in two concerns"
            seen.add(name)


def test_no_store_module_is_large() -> None:
    sizes = {p.name: len(p.read_text(encoding="utf-8").splitlines())
             for p in MEMORY.glob("sql_*.py")} | {
        "stores.py": len((MEMORY / "stores.py").read_text(encoding="utf-8").splitlines())}
    assert {n: s for n, s in sizes.items() if s > 300} == {}
    assert sizes["sql_store.py"] < 60


def test_long_term_memory_is_the_union_of_the_concerns() -> None:
    own = set(_public(stores.LongTermMemory))
    assert own == {"ping", "aclose"}
    inherited = {n for p in CONCERNS for n in _public(p)}
    assert all(issubclass(stores.LongTermMemory, p) for p in CONCERNS)
    assert not own & inherited
