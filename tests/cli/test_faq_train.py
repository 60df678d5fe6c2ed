"""`botctl faq import` trains the knowledge-base model afterwards; `botctl faq train` and
`botctl faq models`."""

from __future__ import annotations

import json
from pathlib import Path

from tests.botcore.test_faq_training import write_kb
from tests.cli.conftest import Botctl


def test_cli_trains_after_import_and_on_demand(botctl: Botctl, tmp_path: Path) -> None:
    kb = write_kb(tmp_path / "kb.jsonl")
    res = botctl("faq", "import", str(kb))
    assert res.code == 0, res.err
    assert "imported 6 entries" in res.out and "faq model v1 trained on 6 entries" in res.out
    assert "threshold" in res.out and "of everyday questions" in res.out
    res = botctl("faq", "train", "--json", "--target-refusal", "0.9")
    report = json.loads(res.out)
    assert report["version"] == 2 and report["target_refusal"] == 0.9
    listed = json.loads(botctl("faq", "models", "--json").out)
    assert [m["version"] for m in listed] == [2, 1] and listed[0]["active"]
    assert botctl("faq", "train", "--target-refusal", "1.5").code == 2
    assert botctl("faq", "import", str(kb), "--no-train").out.count("trained") == 0
    empty = Botctl({**botctl.env, "BOTCORE_DATA_DIR": str(tmp_path / "other")})
    res = empty("faq", "train")
    assert res.code == 1 and "at least 2 entries" in res.err
