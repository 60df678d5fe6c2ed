"""botctl chat / db / faq as a user runs them: real subprocesses on a temp data dir."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

BOTCTL = str(Path(sys.executable).with_name("botctl"))


def botctl(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("BOTCORE_")}
    base.update({"BOTCORE_DATA_DIR": str(tmp_path / "data"), "BOTCORE_EXECUTOR": "instant"})
    base.update(env)
    return subprocess.run([BOTCTL, *args], capture_output=True, text=True, timeout=120,
                          env=base, cwd=tmp_path)


def test_chat_message_on_the_embedded_default_remembers_across_processes(tmp_path: Path) -> None:
    first = botctl(tmp_path, "chat", "--message", "Hi, I'm Ana", "--user", "ana", "--json")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)[0]["text"] == "You said: Hi, I'm Ana"
    assert (tmp_path / "data" / "botcore.sqlite3").exists()
    second = botctl(tmp_path, "chat", "--message", "/memory", "--user", "ana")
    assert "Their name is Ana." in second.stdout
    other = botctl(tmp_path, "chat", "--message", "/memory", "--user", "bob")
    assert "don't remember anything" in other.stdout


def test_chat_rejects_bad_arguments_with_a_clear_message(tmp_path: Path) -> None:
    empty = botctl(tmp_path, "chat", "--message", "  ")
    assert empty.returncode == 2 and "--message is empty" in empty.stderr
    bad_user = botctl(tmp_path, "chat", "--message", "hi", "--user", "telegram:1")
    assert bad_user.returncode == 2 and "plain id" in bad_user.stderr
    bad_env = botctl(tmp_path, "chat", "--message", "hi", BOTCORE_DEVICE="tpu")
    assert bad_env.returncode == 2 and "configuration error" in bad_env.stderr


def test_interactive_chat_reads_lines_until_quit(tmp_path: Path) -> None:
    base = {k: v for k, v in os.environ.items() if not k.startswith("BOTCORE_")}
    base.update({"BOTCORE_DATA_DIR": str(tmp_path / "data"), "BOTCORE_EXECUTOR": "instant"})
    out = subprocess.run([BOTCTL, "chat", "--user", "zed"], input="hello\n/forget\n#2\n/quit\n",
                         capture_output=True, text=True, timeout=120, env=base, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "You said: hello" in out.stdout
    assert "Are you sure?" in out.stdout and "I kept everything" in out.stdout


def test_db_commands_upgrade_downgrade_and_report(tmp_path: Path) -> None:
    cur = json.loads(botctl(tmp_path, "db", "current", "--json").stdout)
    assert cur["current"] is None and cur["up_to_date"] is False and cur["head"]
    up = botctl(tmp_path, "db", "upgrade")
    assert up.returncode == 0, up.stderr
    assert json.loads(botctl(tmp_path, "db", "current", "--json").stdout)["up_to_date"] is True
    down = botctl(tmp_path, "db", "downgrade", "base")
    assert down.returncode == 0
    assert json.loads(botctl(tmp_path, "db", "current", "--json").stdout)["current"] is None
    bad = botctl(tmp_path, "db", "upgrade", "nonsense")
    assert bad.returncode != 0 and "nonsense" in bad.stderr


def test_faq_import_ask_and_file_mode(tmp_path: Path) -> None:
    kb = tmp_path / "kb.csv"
    kb.write_text("id,question,answer\nhours,When are you open?,9-5\nship,Do you ship abroad?,Yes\n")
    imp = botctl(tmp_path, "faq", "import", str(kb))
    assert imp.returncode == 0 and "imported 2 entries" in imp.stdout
    ask = botctl(tmp_path, "faq", "ask", "When are you open?", "--json")
    assert json.loads(ask.stdout) == {"id": "hours", "answer": "9-5", "score": 1.0}
    questions = tmp_path / "q.txt"
    questions.write_text("Do you ship abroad?\nwhat is the meaning of life\n")
    many = botctl(tmp_path, "faq", "ask", "--file", str(questions), "--json")
    lines = [json.loads(x) for x in many.stdout.splitlines()]
    assert [x["id"] for x in lines] == ["ship", None]
    assert lines[1]["answer"] is None
    missing = botctl(tmp_path, "faq", "import", str(tmp_path / "nope.csv"))
    assert missing.returncode == 1 and "no such file" in missing.stderr
    both = botctl(tmp_path, "faq", "ask")
    assert both.returncode == 2


def test_chat_message_in_chinese_remembers_the_cat_verbatim(tmp_path: Path) -> None:
    first = botctl(tmp_path, "chat", "--message", "你好，我叫小明，我养了一只猫叫咪咪。",
                   "--user", "xm", LANG="C.UTF-8")
    assert first.returncode == 0, first.stderr
    second = botctl(tmp_path, "chat", "--message", "我的猫叫什么名字？", "--user", "xm", "--json",
                    LANG="C.UTF-8")
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout)[0]["text"] == "你的猫叫咪咪。"
    # the conversation's language stays Chinese for a message without words
    help_text = botctl(tmp_path, "chat", "--message", "/help", "--user", "xm", LANG="C.UTF-8")
    assert "我可以做这些事" in help_text.stdout
    # a Chinese terminal gets Chinese fixed texts from the start
    other = botctl(tmp_path, "chat", "--message", "/memory", "--user", "new", LANG="zh_CN.UTF-8")
    assert "我还不记得任何关于你的事" in other.stdout
