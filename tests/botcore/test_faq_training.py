"""Training a model of a small knowledge base on its own example questions (the instant model's
hashed bag-of-words embeddings stand in for the trunk): versions in SQL, a threshold calibrated on
the knowledge base, picked up by a running index without a restart, ignored when stale (the CLI:
tests/cli/test_faq_train.py)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import numpy as np

from botcore.faq import kbmodel, read_faq_file, training
from botcore.faq import store as faq_store
from botcore.messages import IncomingMessage
from botcore.runtime import open_runtime
from tests.conftest import make_settings

KB = [
    {"id": "refund", "answer": "Refunds take 5 days.", "questions": [
        "how do I get a refund", "refund my order please", "I want my money back for the order",
        "can I get a refund on this", "refund request for a broken item", "money back refund"]},
    {"id": "hours", "answer": "Mon-Sat 9-19.", "questions": [
        "when are you open", "opening hours", "what time do you open", "are you open on sunday",
        "shop hours today", "what time do you close"]},
    {"id": "shipping", "answer": "2-4 working days.", "questions": [
        "how long does shipping take", "delivery time for my parcel", "when will my parcel arrive",
        "shipping days", "how fast is delivery", "parcel delivery estimate"]},
    {"id": "password", "answer": "Use 'Forgot password' on the login page.", "questions": [
        "I forgot my password", "reset password", "cannot log in password wrong",
        "change my login password", "password reset link", "locked out password"]},
    {"id": "address", "answer": "Profile → Address.", "questions": [
        "change my address", "update delivery address", "I moved to a new address",
        "wrong address on my account", "edit home address", "new address for my profile"]},
    {"id": "payment", "answer": "Card, PayPal or bank transfer.", "questions": [
        "which payment methods do you accept", "can I pay with paypal", "pay by card",
        "payment options", "do you take bank transfer payment", "how can I pay"]},
]


def write_kb(path: Path) -> Path:
    path.write_text("".join(json.dumps(e) + "\n" for e in KB))
    return path


def test_model_round_trips_and_learns_the_entries() -> None:
    from workers.instant import hashed_embedding

    texts = [q for e in KB for q in e["questions"]]
    x = np.array([hashed_embedding(t) for t in texts], dtype=np.float32)
    y = np.array([i for i, e in enumerate(KB) for _ in e["questions"]])
    ids = [e["id"] for e in KB]
    point = kbmodel.calibrate(x, y, ids, target_refusal=0.9)
    assert 0 < point.threshold < 1 and point.n_val == len(KB) and point.n_out > 0
    assert point.out_of_scope_refused >= 0.9
    model = kbmodel.build(x, y, ids)
    best, _ = model.predict(x)
    assert (best == y).mean() == 1.0
    again = kbmodel.KbModel.from_bytes(model.to_bytes())
    assert again.entry_ids == ids and np.allclose(again.predict(x)[1], model.predict(x)[1])


async def test_trained_model_is_used_without_a_restart(tmp_path: Path) -> None:
    async with open_runtime(make_settings(tmp_path)) as rt:
        await faq_store.upsert_entries(rt.long_term, read_faq_file(write_kb(tmp_path / "kb.jsonl")))
        index = rt.manager.faq
        assert (await index.search("refund my broken order")).id == "refund"
        assert index.model_version is None
        seen: list[str] = []
        report = await training.train(rt.long_term, rt.executor, target_refusal=0.9,
                                      progress=lambda stage, done, total: seen.append(stage))
        assert {"embedding", "calibrating", "done"} <= set(seen)
        assert report["entries"] == 6 and report["examples"] == 36
        assert report["out_of_scope_refused"] >= 0.9 and 0 < report["threshold"] < 1
        index.invalidate()  # (a running bot notices within its 30 s check)
        hit = await index.search("refund my broken order")
        assert index.model_version == report["version"]
        assert hit.id == "refund" and hit.score >= report["threshold"]
        assert (await index.search("tell me about quantum gravity and black holes")).id is None
        user = uuid.uuid4().hex[:8]
        [out] = await rt.manager.handle(IncomingMessage(
            platform="test", message_id="1", chat_id=user, user_id=user,
            text="when will my parcel arrive"))
        assert out.text.startswith("2-4 working days.")
        # a newer knowledge base makes the model stale: untuned search until retrained
        await faq_store.upsert_entries(rt.long_term, read_faq_file(write_kb(tmp_path / "kb.jsonl")))
        index.invalidate()
        await index.search("refund my broken order")
        assert index.model_version is None
        second = await training.train(rt.long_term, rt.executor, target_refusal=0.9)
        index.invalidate()
        await index.search("refund")
        assert index.model_version == second["version"] > report["version"]
        versions = await training.list_models(rt.long_term)
        assert [v["active"] for v in versions] == [True, False]
