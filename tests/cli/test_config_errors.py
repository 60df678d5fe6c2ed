"""Bad configuration and secrets (#12 items 7 and 8): every configuration error is one line on
stderr naming the variable, exit code 2, for every botctl command; no secret is ever printed."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic.fields import FieldInfo

from botcore.config import Settings
from tests.cli.conftest import Botctl

BOTCTL = str(Path(sys.executable).with_name("botctl"))
COMMANDS = [["stats"], ["chat", "--message", "hi"], ["db", "current"], ["users", "list"],
            ["faq", "list"], ["config", "check"], ["audit", "list"], ["health"],
            ["model", "list"], ["run", "telegram"]]
"""One command of each family (the workers' `model` plugin too)."""

BAD = [
    ("BOTCORE_LOCK_TIMEOUT_S", "inf"),
    ("BOTCORE_LOCK_TIMEOUT_S", "nan"),
    ("BOTCORE_REPLY_TIMEOUT_S", "-inf"),
    ("BOTCORE_SHORT_TERM_TTL_S", "1e20"),
    ("BOTCORE_SHORT_TERM_TTL_S", "100000000000000000000"),
    ("BOTCORE_RATE_LIMIT_WINDOW_S", "0"),
    ("BOTCORE_RATE_LIMIT_USER", "-5"),
    ("BOTCORE_MAX_INPUT_CHARS", "999999999999"),
    ("BOTCORE_FAQ_THRESHOLD", "NaN"),
    ("BOTCORE_METRICS_PORT", "70000"),
    ("BOTCORE_LOG_LEVEL", "LOUD"),
    ("BOTCORE_REDIS_URL", "http://x"),
    ("BOTCORE_BROKER_URL", "ftp://x"),
    ("BOTCORE_DATABASE_URL", "nonsense"),
    ("BOTCORE_DATABASE_URL", "mysql://u:p@localhost/db"),
    ("BOTCORE_DATABASE_URL", "postgresql://u:p@127.0.0.1:1/db"),  # unreachable
    ("BOTCORE_TELEGRAM_API_URL", "api.telegram.org"),
    ("BOTCORE_TELEGRAM_WEBHOOK_LISTEN", "0.0.0.0:99999"),
    ("BOTCORE_METRICS_ADDR", "not an address"),
    ("BOTCORE_DEVICE", "toaster"),
    ("BOTCORE_ADMIN_IDS", "telegram:1,nobody"),
    ("BOTCORE_PROMPT_CANARY", "abc"),
]
"""The audit's kinds of bad value (20+): today each one is one line and exit 2."""


def _one_config_line(code: int, out: str, err: str, variable: str) -> None:
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2, (code, out, err)
    assert len(lines) == 1, err
    assert lines[0].startswith("error: configuration error: ") and variable in lines[0], err
    assert "Traceback" not in out + err


@pytest.mark.parametrize(("variable", "value"), BAD, ids=[f"{v}={x}" for v, x in BAD])
def test_each_bad_value_is_one_line_naming_the_variable_and_exit_2(
        botctl: Botctl, variable: str, value: str) -> None:
    botctl.env[variable] = value
    res = botctl("stats")
    _one_config_line(res.code, res.out, res.err, variable)


@pytest.mark.parametrize("command", COMMANDS, ids=[" ".join(c) for c in COMMANDS])
def test_every_command_refuses_bad_settings_the_same_way(botctl: Botctl,
                                                         command: list[str]) -> None:
    botctl.env["BOTCORE_LOCK_TIMEOUT_S"] = "inf"
    res = botctl(*command)
    _one_config_line(res.code, res.out, res.err, "BOTCORE_LOCK_TIMEOUT_S")


@pytest.mark.parametrize("command", [["db", "current"], ["db", "upgrade"], ["stats"],
                                     ["users", "list"]], ids=lambda c: " ".join(c))
def test_an_unreachable_database_is_one_line_without_its_password(
        botctl: Botctl, command: list[str]) -> None:
    botctl.env["BOTCORE_DATABASE_URL"] = "postgresql://bot:pa@ss-w0rd@127.0.0.1:1/botcore"
    res = botctl(*command)
    _one_config_line(res.code, res.out, res.err, "BOTCORE_DATABASE_URL")
    assert "pa@ss-w0rd" not in res.err and "ss-w0rd" not in res.err


def test_an_unusable_data_dir_is_one_line(botctl: Botctl, tmp_path: Path) -> None:
    afile = tmp_path / "a-file"
    afile.write_text("x")
    botctl.env["BOTCORE_DATA_DIR"] = str(afile / "data")
    for command in (["chat", "--message", "hi"], ["stats"], ["config", "check"]):
        res = botctl(*command)
        _one_config_line(res.code, res.out, res.err, "BOTCORE_DATA_DIR")


def test_a_real_process_prints_exactly_one_line(tmp_path: Path) -> None:
    """Through the installed console script: no log line, no traceback, exit 2."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOTCORE_")}
    env.update(BOTCORE_DATA_DIR=str(tmp_path / "d"), BOTCORE_EXECUTOR="instant",
               BOTCORE_LOG_LEVEL="LOUD")
    proc = subprocess.run([BOTCTL, "chat", "--message", "hi"], capture_output=True, text=True,
                          timeout=120, env=env, cwd=tmp_path)
    _one_config_line(proc.returncode, proc.stdout, proc.stderr, "BOTCORE_LOG_LEVEL")


# secrets --------------------------------------------------------------------------------------

def test_an_unreadable_secret_file_does_not_print_the_other_secrets(botctl: Botctl) -> None:
    discord = "discord-secret-token-value-0123456789"
    botctl.env.update(BOTCORE_TELEGRAM_TOKEN_FILE="/nonexistent/tg-token",
                      BOTCORE_DISCORD_TOKEN=discord,
                      BOTCORE_PROMPT_CANARY="canary-secret-42",
                      BOTCORE_DATABASE_URL="postgresql://u:db-secret-pw@127.0.0.1:1/x")
    for command in (["stats"], ["config", "check"], ["run", "discord"]):
        res = botctl(*command)
        _one_config_line(res.code, res.out, res.err, "BOTCORE_TELEGRAM_TOKEN_FILE")
        for secret in (discord, "canary-secret-42", "db-secret-pw"):
            assert secret not in res.out + res.err


def test_a_bad_secret_value_is_named_but_never_echoed(botctl: Botctl) -> None:
    botctl.env["BOTCORE_PROMPT_CANARY"] = "x" * 500  # too long: refused, value not shown
    res = botctl("stats")
    _one_config_line(res.code, res.out, res.err, "BOTCORE_PROMPT_CANARY")
    assert "xxxxxxxx" not in res.err


def test_config_check_masks_url_passwords_that_contain_at_signs(botctl: Botctl) -> None:
    botctl.env.update(BOTCORE_REDIS_URL="redis://:p@ss@word-r3dis@127.0.0.1:1/0",
                      BOTCORE_BROKER_URL="amqp://guest:br@ker-pw-9@127.0.0.1:1//")
    res = botctl("config", "check")
    assert res.code == 1
    text = res.out + res.err
    for fragment in ("p@ss", "word-r3dis", "br@ker", "ker-pw-9"):
        assert fragment not in text, text
    assert "redis://:***@127.0.0.1:1/0" in text
    assert "amqp://guest:***@127.0.0.1:1//" in text


# the fuzz pass --------------------------------------------------------------------------------

def _numeric_fields() -> dict[str, FieldInfo]:
    out = {}
    for name, info in Settings.model_fields.items():
        ann = str(info.annotation)
        if "int" in ann or "float" in ann:
            out[name] = info
    return out


def _bounds(info: FieldInfo) -> tuple[float | None, float | None]:
    lo = hi = None
    for m in info.metadata:
        lo = getattr(m, "ge", None) if getattr(m, "ge", None) is not None else (
            getattr(m, "gt", None) if getattr(m, "gt", None) is not None else lo)
        hi = getattr(m, "le", None) if getattr(m, "le", None) is not None else (
            getattr(m, "lt", None) if getattr(m, "lt", None) is not None else hi)
    return lo, hi


def test_every_numeric_setting_has_finite_bounds() -> None:
    for name, info in _numeric_fields().items():
        lo, hi = _bounds(info)
        assert lo is not None and hi is not None, f"BOTCORE_{name.upper()} needs ge/gt and le/lt"
        assert math.isfinite(lo) and math.isfinite(hi)


def _bad_values() -> st.SearchStrategy[tuple[str, str]]:
    fields = _numeric_fields()
    out_of_range = st.sampled_from(sorted(fields)).flatmap(lambda name: st.tuples(
        st.just(name),
        st.one_of(
            st.sampled_from(["inf", "-inf", "nan", "NaN", "1e20", "1e400", "-1e308", "abc",
                             "12abc", "0x10", "--1"]),
            st.floats(allow_nan=False, allow_infinity=False).filter(
                lambda x, n=name: not _inside(fields[n], x)).map(repr),
        )))
    words = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ:/.@", min_size=1,
                    max_size=20)
    other = st.one_of(
        st.tuples(st.just("log_level"), words.filter(
            lambda w: w.strip().upper() not in {"CRITICAL", "ERROR", "WARNING", "WARN", "INFO",
                                                "DEBUG"})),
        st.tuples(st.just("redis_url"), words.filter(
            lambda w: not w.lower().startswith(("redis://", "rediss://", "unix://")))),
        st.tuples(st.just("device"), words.filter(
            lambda w: w.strip().lower() not in {"auto", "cpu", "cuda", "mps"}
            and not w.strip().lower().startswith("cuda:"))),
        st.tuples(st.sampled_from(["database_url"]), words.filter(
            lambda w: "://" not in w and w.strip())),
    )
    return st.one_of(out_of_range, other)


def _inside(info: FieldInfo, x: float) -> bool:
    lo, hi = _bounds(info)
    is_int = "int" in str(info.annotation) and "float" not in str(info.annotation)
    if is_int and not float(x).is_integer():
        return False
    return (lo is None or x >= lo) and (hi is None or x <= hi)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much])
@given(bad=_bad_values())
def test_fuzzed_bad_values_give_one_line_and_exit_2(botctl: Botctl, bad: tuple[str, str]) -> None:
    name, value = bad
    env = dict(botctl.env)
    env[f"BOTCORE_{name.upper()}"] = value
    res = Botctl(env)("stats")
    _one_config_line(res.code, res.out, res.err, f"BOTCORE_{name.upper()}")
