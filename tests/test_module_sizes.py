"""Small modules (issue #15): none in botcore/ or adapters/ over 400 lines, the dialogue manager
under 200 — it only wires the pipeline (docs/architecture.md)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIMIT = 400


def _lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def test_no_module_in_botcore_or_adapters_passes_400_lines() -> None:
    sizes = {p.relative_to(ROOT).as_posix(): _lines(p)
             for package in ("botcore", "adapters") for p in (ROOT / package).rglob("*.py")}
    assert len(sizes) > 100  # the walk found the packages
    too_long = {name: n for name, n in sizes.items() if n > LIMIT}
    assert too_long == {}, f"split these modules: {too_long}"


def test_the_dialogue_manager_only_wires_the_pipeline() -> None:
    assert _lines(ROOT / "botcore" / "dialogue" / "manager.py") < 200
