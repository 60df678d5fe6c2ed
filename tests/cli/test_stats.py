"""`botctl stats` after a scripted conversation: exact numbers, table, plot, bad arguments."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.conftest import Botctl, play


def test_stats_counts_the_scripted_conversation(any_botctl: Botctl) -> None:
    play(any_botctl.settings)
    res = any_botctl("stats", "--since", "1d", "--json")
    assert res.code == 0, res.err
    st = json.loads(res.out)
    assert st["incoming"] == 6 and st["replies"] == 6
    assert st["active_users"] == 4 and st["new_users"] == 4
    assert st["per_platform"] == {"telegram": 3, "discord": 2, "console": 1}
    assert st["per_skill"] == {"companion": 3, "tutor": 1, "faq": 1, "assistant": 1}
    assert st["feedback_up"] == 2 and st["feedback_down"] == 1
    assert st["feedback_ratio"] == round(2 / 3, 3)
    assert st["escalations_open"] == 1
    assert 0 < st["latency_p50_ms"] <= st["latency_p95_ms"]
    assert [d["incoming"] for d in st["per_day"]] == [6]


def test_stats_table_and_plot(botctl: Botctl, tmp_path: Path) -> None:
    play(botctl.settings)
    png = tmp_path / "usage.png"
    res = botctl("stats", "--plot", str(png))
    assert res.code == 0, res.err
    for label in ("messages in", "reply latency p95", "escalations open", "per skill", "tutor",
                  "discord"):
        assert label in res.out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000


def test_stats_on_an_empty_database(botctl: Botctl) -> None:
    st = json.loads(botctl("stats", "--since", "all", "--json").out)
    assert st["incoming"] == 0 and st["latency_p50_ms"] is None and st["feedback_ratio"] is None
    assert botctl("stats").code == 0


def test_stats_bad_arguments(botctl: Botctl) -> None:
    bad = botctl("stats", "--since", "yesterday")
    assert bad.code == 2 and bad.err.startswith("error: bad duration 'yesterday'")
    plot = botctl("stats", "--plot", "chart.txt")
    assert plot.code == 2 and ".png" in plot.err
