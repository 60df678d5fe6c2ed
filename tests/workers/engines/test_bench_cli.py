"""`botctl model bench --json`: one JSON object with the agreed keys, equal work per request."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

pytest.importorskip("xllamacpp")


def test_model_bench_prints_the_figures(tmp_path: Path) -> None:
    from botcore.cli.app import app

    env = {"BOTCORE_DATA_DIR": str(tmp_path), "BOTCORE_DEVICE": "cpu"}
    res = CliRunner().invoke(app, ["model", "bench", "--engine", "llamacpp", "--parallel", "3",
                                   "--tokens", "6", "--threads", "1", "--json"], env=env)
    assert res.exit_code == 0, res.output
    data = json.loads(res.output.strip().splitlines()[-1])
    assert {"engine", "model", "threads", "load_s", "single_tok_s", "parallel", "parallel_tok_s",
            "ttft_p50_s", "ttft_p95_s"} <= set(data)
    assert data["engine"] == "llamacpp" and data["parallel"] == 3 and data["threads"] == 1
    assert data["tokens_each"] == [6]  # EOS ignored: exactly --tokens each
    assert data["single_tok_s"] > 0 and data["parallel_tok_s"] > 0
    assert 0 < data["ttft_p50_s"] <= data["ttft_p95_s"]


def test_model_bench_refuses_an_unknown_engine(tmp_path: Path) -> None:
    from botcore.cli.app import app

    res = CliRunner().invoke(app, ["model", "bench", "--engine", "warp", "--json"],
                             env={"BOTCORE_DATA_DIR": str(tmp_path)})
    assert res.exit_code == 1 and "unknown engine 'warp'" in res.output
