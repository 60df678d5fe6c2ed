"""In-chat /admin: refuses non-admins (and audits the attempt); admins get real answers."""

from __future__ import annotations

from pathlib import Path

import pytest

from botcore.admin.audit import list_audit
from botcore.admin.broadcast import broadcast_status
from botcore.admin.chat_commands import REFUSED, AdminContext, handle_admin_command
from botcore.admin.escalations import list_escalations
from botcore.runtime import Runtime, open_runtime
from tests.cli.conftest import SCRIPT, message
from tests.conftest import make_settings

ADMIN = message("telegram", "1", "/admin", "Boss")


async def _seed(rt: Runtime) -> None:
    for platform, user, name, text, _ in SCRIPT:
        await rt.manager.handle(message(platform, user, text, name))
    await rt.manager.aclose()


async def admin(rt: Runtime, args: str, who: object = ADMIN) -> str:
    deps = AdminContext(rt.settings, rt.long_term, rt.short_term)  # type: ignore[arg-type]
    return await handle_admin_command(deps, who, args)  # type: ignore[arg-type]


async def test_non_admins_are_refused_and_audited(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, admin_ids="telegram:1, discord:9")
    async with open_runtime(settings) as rt:
        await _seed(rt)
        stranger = message("telegram", "101", "/admin broadcast all hi")
        same_id_other_platform = message("discord", "1", "/admin stats")
        for who, args in ((stranger, "broadcast all hi"), (same_id_other_platform, "stats")):
            assert await admin(rt, args, who) == REFUSED.en
        audit = await list_audit(rt.long_term)
        assert [(a["actor"], a["action"]) for a in audit] == [
            ("chat:discord:1", "admin.denied"), ("chat:telegram:101", "admin.denied")]
        from botcore.admin.broadcast import list_broadcasts

        assert await list_broadcasts(rt.long_term) == []  # nothing was queued


async def test_through_the_dialogue_manager(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, admin_ids="telegram:1")
    async with open_runtime(settings) as rt:
        await _seed(rt)
        denied = await rt.manager.handle(message("telegram", "101", "/admin stats"))
        assert "only for" in denied[0].text
        allowed = await rt.manager.handle(message("telegram", "1", "/admin stats 1d"))
        assert "messages 6 in" in allowed[0].text


async def test_a_malformed_admin_list_allows_nobody(tmp_path: Path) -> None:
    """A malformed list is refused when the settings load (#12: bad configuration stops the
    process with one line), so no bot ever runs with it."""
    with pytest.raises(ValueError, match="platform:user_id"):
        make_settings(tmp_path, admin_ids="telegram:1,oops")


async def test_admin_commands_do_what_they_say(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, admin_ids="telegram:1")
    async with open_runtime(settings) as rt:
        await _seed(rt)
        assert "/admin broadcast" in await admin(rt, "help")
        stats = await admin(rt, "stats 1d")
        assert "messages 6 in / 6 replies" in stats and "escalations open: 1" in stats

        queued = await admin(rt, "broadcast telegram Shop closed on Monday")
        # (#1 is the handoff notice the seeded escalation sent to the admin)
        bid = int(queued.split("#", 1)[1].split()[0])
        assert queued.startswith(f"Broadcast #{bid} queued for 2 users")
        status = await broadcast_status(rt.long_term, bid)
        assert status is not None and status["queued"] == 2
        assert "0 delivered" in await admin(rt, f"status {bid}")

        open_list = await admin(rt, "escalations")
        esc_id = (await list_escalations(rt.long_term))[0]["id"]
        assert f"#{esc_id} telegram:102" in open_list
        replied = await admin(rt, f"reply {esc_id} Refunds take 14 days.")
        assert "answered" in replied and await list_escalations(rt.long_term) == []

        assert "blocked" in await admin(rt, "block Cleo")
        user = await rt.long_term.get_user("discord", "201")
        assert user is not None and user.blocked
        assert "BLOCKED" in await admin(rt, "user discord:201")
        assert "unblocked" in await admin(rt, "unblock discord:201")

        assert "unknown admin command" in await admin(rt, "selfdestruct")
        assert "as a number" in await admin(rt, "reply x hi")
        assert "bad duration" in await admin(rt, "stats forever")
        actions = [a["action"] for a in await list_audit(rt.long_term, limit=100)]
        for expected in ("admin.help", "admin.stats", "broadcast.queue", "escalations.list",
                         "escalations.reply", "users.block", "users.unblock",
                         "admin.selfdestruct.error"):
            assert expected in actions
        assert all(a["actor"] == "chat:telegram:1" for a in await list_audit(rt.long_term))
