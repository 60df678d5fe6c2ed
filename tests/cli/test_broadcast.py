"""`botctl broadcast` queues; an adapter-side consumer delivers at a pace and reports."""

from __future__ import annotations

import json
import time

from botcore.admin.outbox import DeliveryFailed, PendingDelivery, drain_outbox
from botcore.memory.factory import open_long_term
from tests.cli.conftest import Botctl, arun, play


def drain(b: Botctl, platform: str, fail_for: set[str] = frozenset(),  # type: ignore[assignment]
          rate: float = 1000.0) -> tuple[dict[str, int], list[PendingDelivery]]:
    """Deliver like an adapter would, recording what was sent (the platform's HTTP seam)."""
    sent: list[PendingDelivery] = []

    async def send(d: PendingDelivery) -> None:
        if d.platform_user_id in fail_for:
            raise DeliveryFailed("Forbidden: bot was blocked by the user", permanent=True)
        sent.append(d)

    async def main() -> dict[str, int]:
        sql = await open_long_term(b.settings)
        try:
            return await drain_outbox(sql, platform, send, rate_per_s=rate)
        finally:
            await sql.aclose()

    return arun(main()), sent


def test_broadcast_to_all_skips_blocked_and_reports_counts(any_botctl: Botctl) -> None:
    play(any_botctl.settings)
    assert any_botctl("users", "block", "telegram:102").code == 0
    dry = json.loads(any_botctl("broadcast", "--to", "all", "-m", "We're back!", "--dry-run",
                                "--json").out)
    assert dry == {"dry_run": True, "queued": 2, "skipped": 1,
                   "by_platform": {"telegram": 1, "discord": 1}}
    assert json.loads(any_botctl("broadcast", "list", "--json").out) == []  # nothing written

    res = any_botctl("broadcast", "--to", "all", "-m", "We're back!", "--json")
    assert res.code == 0, res.err
    queued = json.loads(res.out)
    assert queued["queued"] == 2 and queued["skipped"] == 1  # console users are unreachable
    bid = queued["id"]
    pending = json.loads(any_botctl("broadcast", "status", str(bid), "--json").out)
    assert pending["queued"] == 2 and pending["done"] is False

    tg, tg_sent = drain(any_botctl, "telegram")
    dc, _ = drain(any_botctl, "discord", fail_for={"201"})
    assert tg == {"sent": 1} and dc == {"failed": 1}
    assert [(d.platform_user_id, d.chat_id, d.text) for d in tg_sent] == [
        ("101", None, "We're back!")]  # chat_id None: a direct message
    final = json.loads(any_botctl("broadcast", "status", str(bid), "--json").out)
    assert (final["sent"], final["failed"], final["skipped"], final["done"]) == (1, 1, 1, True)
    text = any_botctl("broadcast", "status", str(bid))
    assert "delivered 1, failed 1, pending 0, skipped 1" in text.out
    audit = json.loads(any_botctl("audit", "list", "--action", "broadcast.", "--json").out)
    assert audit[0]["target"] == str(bid) and audit[0]["details"]["queued"] == 2


def test_platform_and_segment_audiences(botctl: Botctl) -> None:
    play(botctl.settings)
    tg = json.loads(botctl("broadcast", "--to", "telegram", "-m", "hi", "--dry-run", "--json").out)
    assert tg["by_platform"] == {"telegram": 2}
    tutor = json.loads(botctl("broadcast", "--to", "segment", "--skill", "tutor", "-m", "quiz!",
                              "--dry-run", "--json").out)
    assert tutor["by_platform"] == {"telegram": 1}  # only Ana asked the tutor
    one = json.loads(botctl("broadcast", "--to", "segment", "--user", "discord:201", "-m", "hey",
                            "--json").out)
    assert one["queued"] == 1
    started = time.monotonic()
    waited = botctl("broadcast", "status", str(one["id"]), "--wait", "0.5")
    assert time.monotonic() - started >= 0.5 and "pending 1" in waited.out
    assert "is an adapter running" in waited.out
    _, sent = drain(botctl, "discord")
    assert [d.platform_user_id for d in sent] == ["201"]


def test_delivery_is_paced_and_transient_errors_are_retried(botctl: Botctl) -> None:
    play(botctl.settings, [("telegram", str(i), None, "hi", None) for i in range(6)])
    assert botctl("broadcast", "--to", "telegram", "-m", "paced").code == 0
    started = time.monotonic()
    counts, sent = drain(botctl, "telegram", rate=10.0)
    assert counts == {"sent": 6} and len(sent) == 6
    assert time.monotonic() - started >= 0.45  # 6 sends at 10/s: 5 gaps of 0.1 s

    calls: list[int] = []

    async def flaky(d: PendingDelivery) -> None:
        calls.append(d.attempts)
        if d.attempts == 1:
            raise ConnectionError("reset by peer")

    async def twice() -> tuple[dict[str, int], dict[str, int]]:
        from botcore.admin.outbox import claim_deliveries, report_delivery

        sql = await open_long_term(botctl.settings)
        try:
            first = await drain_outbox(sql, "telegram", flaky, rate_per_s=1000)
            # back in the queue with a backoff: not due yet
            assert await claim_deliveries(sql, "telegram") == []
            from sqlalchemy import update

            from botcore.admin import models as am

            async with sql.session() as s:  # let the backoff elapse
                await s.execute(update(am.Delivery).values(not_before=None))
            second = await drain_outbox(sql, "telegram", flaky, rate_per_s=1000)
            assert await report_delivery(sql, 10**9, True) == "gone"
            return first, second
        finally:
            await sql.aclose()

    assert botctl("broadcast", "--to", "segment", "--user", "telegram:0", "-m", "retry").code == 0
    first, second = arun(twice())
    assert first == {"queued": 1} and second == {"sent": 1} and calls == [1, 2]


def test_broadcast_bad_arguments(botctl: Botctl) -> None:
    missing = botctl("broadcast", "--to", "all")
    assert missing.code == 2 and "--message" in missing.err
    seg = botctl("broadcast", "--to", "segment", "-m", "x")
    assert seg.code == 2 and "needs a filter" in seg.err
    empty = botctl("broadcast", "--to", "all", "-m", "   ")
    assert empty.code == 2 and "empty" in empty.err
    console = botctl("broadcast", "--to", "console", "-m", "x")
    assert console.code == 2 and "cannot be reached" in console.err
    unknown = botctl("broadcast", "status", "999")
    assert unknown.code == 1 and unknown.err.strip() == "error: no broadcast #999"
    long = botctl("broadcast", "--to", "all", "-m", "x" * 5000)
    assert long.code != 0 and "limit is 4000" in long.err
