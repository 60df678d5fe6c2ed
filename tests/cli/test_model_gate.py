"""The quality gate: the shipped heads hold the committed baseline (the CI evaluation), and
`botctl model activate` refuses a deliberately degraded checkpoint unless --force (audited)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from botcore.config import Settings
from tests.cli.conftest import Botctl
from workers.evaluation.gate import BASELINE, headline, load_baseline, regressions

pytestmark = [pytest.mark.model]


def test_regressions_name_the_metric_and_respect_the_tolerance() -> None:
    old = {"test": {"skill": {"macro_f1": 0.95}, "safety": {"abuse": {"recall": 0.8},
                                                           "sexual": {"recall": 1.0}}},
           "retrieval": {"tuned": {"recall@1": 0.94}},
           "generation": {"defaults": {"repetition_rate": 0.01}}}
    assert headline(old) == {"routing_macro_f1": 0.95, "safety_recall": 0.9,
                             "faq_recall@1": 0.94, "repetition_rate": 0.01}
    slightly = json.loads(json.dumps(old))
    slightly["test"]["skill"]["macro_f1"] = 0.935
    assert regressions(slightly, old, tolerance=0.02) == []
    worse = json.loads(json.dumps(old))
    worse["generation"]["defaults"]["repetition_rate"] = 0.2
    worse["retrieval"]["tuned"]["recall@1"] = 0.5
    found = regressions(worse, old, tolerance=0.02)
    assert [r.metric for r in found] == ["faq_recall@1", "repetition_rate"]
    assert found[1].reason() == "repetition_rate rises 0.0100 → 0.2000"
    assert regressions({"test": {"skill": {"macro_f1": 0.1}}}, {}) == []  # nothing to compare


def _degrade(src: Path, dst: Path) -> Path:
    """A copy of the heads whose skill outputs are rotated: routing becomes mostly wrong."""
    import numpy as np
    from safetensors.numpy import load_file, save_file

    shutil.copytree(src, dst)
    tensors = load_file(str(dst / "heads.safetensors"))
    for name in ("heads.skill.4.weight", "heads.skill.4.bias"):
        tensors[name] = np.ascontiguousarray(np.roll(tensors[name], 1, axis=0))
    save_file(tensors, str(dst / "heads.safetensors"), metadata={"format": "pt"})
    return dst


@pytest.fixture(scope="module")
def reports(model_settings: Settings, tmp_path_factory: pytest.TempPathFactory
            ) -> dict[str, Any]:
    from workers.evaluation.report import run_eval
    from workers.model.service import DEFAULT_HEADS, ModelService
    from workers.training.config import load_config

    tmp = tmp_path_factory.mktemp("gate")
    out: dict[str, Any] = {}
    for name, path in (("shipped", DEFAULT_HEADS),
                       ("degraded", _degrade(DEFAULT_HEADS, tmp / "degraded"))):
        service = ModelService.load(model_settings, with_generator=False, checkpoint=path)
        out[name] = run_eval(service, load_config(None), tmp / f"eval-{name}", generation=False,
                             real_text=False)  # the gate compares the hand-written splits only
        out[f"{name}_path"] = path
    return out


def test_the_shipped_heads_hold_the_committed_baseline(reports: dict[str, Any]) -> None:
    """What CI checks: `botctl model eval --heads-only` on the shipped heads vs baseline.json."""
    baseline = load_baseline()
    assert BASELINE.is_file() and set(headline(baseline)) >= {
        "routing_macro_f1", "safety_recall", "faq_recall@1"}
    found = regressions(reports["shipped"], baseline, tolerance=0.005)
    assert found == [], "; ".join(r.reason() for r in found)


def test_activating_a_degraded_checkpoint_is_refused(botctl: Botctl,
                                                     reports: dict[str, Any]) -> None:
    from workers.model import versions

    settings = botctl.settings
    versions.register(settings, "worse", reports["degraded_path"], reports["degraded"])
    versions.register(settings, "same", reports["shipped_path"], reports["shipped"])
    assert botctl("model", "activate", "default").code == 0

    refused = botctl("model", "activate", "worse")
    assert refused.code == 1
    line = refused.err.strip()
    assert "\n" not in line and line.startswith("error: refused: routing_macro_f1 drops")
    assert "--force" in line
    assert versions.active(settings)["name"] == "default"  # type: ignore[index]

    assert botctl("model", "activate", "same").code == 0  # no regression: allowed
    forced = botctl("model", "activate", "worse", "--force")
    assert forced.code == 0 and "forced past: routing_macro_f1" in forced.out
    assert versions.active(settings)["name"] == "worse"  # type: ignore[index]

    audit = json.loads(botctl("audit", "list", "--action", "model.", "--json").out)
    forced_rows = [a for a in audit if a["target"] == "worse"]
    assert forced_rows and forced_rows[0]["details"]["forced"] is True
    assert forced_rows[0]["details"]["previous"] == "same"
    assert any("routing_macro_f1" in r for r in forced_rows[0]["details"]["regressions"])
