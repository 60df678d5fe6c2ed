"""`botctl config check`: one line per check, exit 1 when a required one fails."""

from __future__ import annotations

import json
from pathlib import Path

from botcore.config import to_async_url
from tests.cli.conftest import Botctl, arun


def checks(res_out: str) -> dict[str, dict[str, str]]:
    return {c["name"]: c for c in json.loads(res_out)["checks"]}


def test_the_embedded_default_passes(botctl: Botctl) -> None:
    res = botctl("config", "check")
    assert res.code == 0, res.out + res.err
    lines = res.out.strip().splitlines()
    names = [line.split()[1] for line in lines]
    assert names[:4] == ["settings", "admin", "data", "database"]
    assert any(line.startswith("skip") and "redis" in line for line in lines)
    assert any(line.startswith("WARN") and "BOTCORE_ADMIN_IDS" in line for line in lines)
    data = json.loads(botctl("config", "check", "--json").out)
    assert data["ok"] is True
    assert {c["name"]: c["status"] for c in data["checks"]}["migrations"] in ("ok", "warn")


def test_unreachable_redis_and_broker_fail(botctl: Botctl) -> None:
    botctl.env.update(BOTCORE_REDIS_URL="redis://:hunter2secret@127.0.0.1:1/0",
                      BOTCORE_BROKER_URL="amqp://guest:pw-secret@127.0.0.1:1//")
    res = botctl("config", "check", "--json")
    assert res.code == 1
    c = checks(res.out)
    assert c["redis"]["status"] == "fail" and c["broker"]["status"] == "fail"
    assert "hunter2secret" not in res.out and "pw-secret" not in res.out


def test_required_token_missing_fails_and_present_tokens_are_never_printed(
        botctl: Botctl) -> None:
    missing = botctl("config", "check", "--require", "telegram")
    assert missing.code == 1 and any(
        line.startswith("FAIL") and "telegram token" in line for line in missing.out.splitlines())
    token = "123456789:AAHsomethingSecretLookingToken_abcdefgh"
    botctl.env["BOTCORE_TELEGRAM_TOKEN"] = token
    ok = botctl("config", "check", "--require", "telegram")
    assert ok.code == 0 and token not in ok.out and "telegram token" in ok.out
    assert botctl("config", "check", "--require", "slack").code == 2


def test_invalid_settings_fail_with_the_reason(botctl: Botctl) -> None:
    """Like every botctl command: one line on stderr naming the variable, exit code 2."""
    botctl.env["BOTCORE_DEVICE"] = "toaster"
    res = botctl("config", "check")
    assert res.code == 2 and "BOTCORE_DEVICE" in res.err and "device must be" in res.err
    botctl.env["BOTCORE_DEVICE"] = "cpu"
    botctl.env["BOTCORE_ADMIN_IDS"] = "telegram:1,nobody"
    bad_admins = botctl("config", "check", "--json")
    assert bad_admins.code == 2 and "BOTCORE_ADMIN_IDS" in bad_admins.err


def test_services_reachable_and_an_unmigrated_postgres_fails(
        botctl: Botctl, fresh_pg: str, redis_url: str, amqp_url: str) -> None:
    botctl.env.update(BOTCORE_DATABASE_URL=fresh_pg, BOTCORE_REDIS_URL=redis_url,
                      BOTCORE_BROKER_URL=amqp_url)
    res = botctl("config", "check", "--json")
    c = checks(res.out)
    assert res.code == 1 and c["migrations"]["status"] == "fail"
    assert "botctl db upgrade" in c["migrations"]["detail"]
    assert (c["database"]["status"], c["redis"]["status"], c["broker"]["status"]) == (
        "ok", "ok", "ok")
    from botcore.memory.sql_engine import migrate

    arun(migrate(to_async_url(fresh_pg), "upgrade", "head"))
    assert botctl("config", "check").code == 0


def test_unreachable_database_fails(botctl: Botctl, tmp_path: Path) -> None:
    botctl.env["BOTCORE_DATABASE_URL"] = "postgresql://postgres:pw@127.0.0.1:1/nope"
    res = botctl("config", "check", "--json")
    c = checks(res.out)
    assert res.code == 1 and c["database"]["status"] == "fail" and ":pw@" not in res.out
    assert c["migrations"]["status"] == "skip"
