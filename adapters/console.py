"""The console adapter: the same dialogue path as Telegram and Discord, in a terminal.

Streamed tokens are printed as they come. Buttons are shown numbered; type ``#N`` to press
button N of the last reply. Files (``/export``) are written to the current directory.
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
import uuid
from collections.abc import Awaitable
from pathlib import Path
from typing import Any, TextIO, TypeVar

from adapters.base import AdapterRuntime
from botcore.files import write_private
from botcore.i18n import Text
from botcore.messages import Button, IncomingMessage, OutgoingMessage
from botcore.runtime import Runtime

T = TypeVar("T")
PROMPT = "you> "
QUIT = {"/quit", "/exit", ":q"}
WELCOME = Text("Chatting with {bot} as console:{user}. Type /help for commands, /quit to leave.",
               "正在以 console:{user} 的身份和 {bot} 聊天。输入 /help 查看命令，/quit 退出。")
NO_SUCH_BUTTON = Text("(no such button)", "（没有这个按钮）")
SAVED = Text("(saved {path})", "（已保存到 {path}）")
INTERRUPTED = Text("(interrupted)", "（已中断）")


def terminal_language() -> str | None:
    """The terminal's language (``LC_ALL``, ``LC_MESSAGES``, ``LANG``: ``zh_CN.UTF-8`` …), a hint
    for messages without words of their own (``/help``)."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "").split(".")[0]
        if value and value not in {"C", "POSIX"}:
            return value
    return None


class PrintStream:
    """A :class:`~botcore.dialogue.protocols.ReplyStream` that prints new text as it arrives."""

    def __init__(self, out: TextIO, label: str) -> None:
        self.out = out
        self.label = label
        self.shown = ""

    async def update(self, text: str) -> None:
        if not self.shown:
            self.out.write(self.label)
        if text.startswith(self.shown):
            self.out.write(text[len(self.shown):])
        else:  # the generation restarted (e.g. on another worker): show it afresh
            self.out.write("\n" + self.label + text)
        self.shown = text
        self.out.flush()

    async def notice(self, text: str) -> None:
        """Print ``text`` (the busy notice) on a line of its own, before the reply."""
        self.out.write(f"{self.label}{text}\n")
        self.out.flush()


class ConsoleAdapter:
    """Chat in the terminal as ``console:<user_id>``."""

    name = "console"

    def __init__(self, runtime: AdapterRuntime, *, user_id: str = "local", user_name: str | None = None,
                 out: TextIO | None = None, stream: bool = True,
                 files_dir: Path | None = None) -> None:
        self.runtime = runtime
        self.user_id = user_id
        self.user_name = user_name
        self.out = out or sys.stdout
        self.stream = stream
        self.files_dir = files_dir or Path.cwd()
        self.label = f"{runtime.settings.bot_name.lower()}> "
        self.language = terminal_language()
        self._buttons: list[Button] = []
        self._stopped = asyncio.Event()

    def _incoming(self, text: str, callback: str | None = None) -> IncomingMessage:
        return IncomingMessage(platform="console", message_id=uuid.uuid4().hex,
                               chat_id=self.user_id, user_id=self.user_id, text=text,
                               user_name=self.user_name, callback_data=callback,
                               language=self.language)

    async def send(self, text: str) -> list[OutgoingMessage]:
        """Send one line (text, a command, or ``#N`` to press a button) and print the reply."""
        callback = None
        if text.startswith("#") and text[1:].isdigit():
            n = int(text[1:])
            if not 1 <= n <= len(self._buttons):
                self.out.write(NO_SUCH_BUTTON.render(self.language) + "\n")
                return []
            callback = self._buttons[n - 1].data
        stream = PrintStream(self.out, self.label) if self.stream else None
        replies = await self.runtime.manager.handle(self._incoming(text, callback), stream)
        for reply in replies:
            self._render(reply, stream)
        return replies

    def _render(self, reply: OutgoingMessage, stream: PrintStream | None) -> None:
        if stream is not None and stream.shown and reply.text.startswith(stream.shown):
            self.out.write(reply.text[len(stream.shown):] + "\n")
        else:
            if stream is not None and stream.shown:
                self.out.write("\n")
            self.out.write(f"{self.label}{reply.text}\n")
        if reply.file is not None:
            path = self.files_dir / reply.file.filename
            write_private(path, reply.file.content)  # an /export: owner-only
            self.out.write(SAVED.render(self.language, path=path) + "\n")
        self._buttons = [b for row in reply.buttons for b in row]
        if self._buttons:
            labels = "  ".join(f"[#{i}] {b.label}" for i, b in enumerate(self._buttons, 1))
            self.out.write(f"   {labels}\n")
        self.out.flush()

    async def run(self) -> None:
        """Read lines until EOF, ``/quit`` or :meth:`stop`.

        Lines are read by a daemon thread, so a stop (Ctrl-C, SIGTERM) never waits for the
        user to press Enter; the turn being answered gets ``BOTCORE_SHUTDOWN_GRACE_S`` to
        finish and is then cancelled.
        """
        self.out.write(WELCOME.render(self.language, bot=self.runtime.settings.bot_name,
                                      user=self.user_id) + "\n")
        self.out.flush()
        lines = _LineReader()
        while not self._stopped.is_set():
            line = await self._until_stopped(lines.next())
            if line is None or line.strip() in QUIT:
                break
            if line.strip():
                turn = asyncio.create_task(self.send(line))
                if await self._until_stopped(asyncio.shield(turn)) is None and not turn.done():
                    await self._finish_or_cancel(turn)
                    break

    async def _until_stopped(self, aw: Awaitable[T]) -> T | None:
        """``await aw``, or None as soon as :meth:`stop` is called (``aw`` keeps running)."""
        job = asyncio.ensure_future(aw)
        stop = asyncio.ensure_future(self._stopped.wait())
        try:
            await asyncio.wait({job, stop}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop.cancel()
        if job.done():
            return job.result()
        job.cancel()
        return None

    async def _finish_or_cancel(self, turn: asyncio.Task[Any]) -> None:
        _, late = await asyncio.wait({turn}, timeout=self.runtime.settings.shutdown_grace_s)
        if late:
            turn.cancel()
            await asyncio.wait({turn}, timeout=2.0)
            self.out.write("\n" + INTERRUPTED.render(self.language) + "\n")
            self.out.flush()

    async def stop(self) -> None:
        """Stop reading; the turn in flight may finish within the shutdown grace period."""
        self.request_stop()

    def request_stop(self) -> None:
        """:meth:`stop` for a signal handler (synchronous)."""
        self._stopped.set()


class _LineReader:
    """``input()`` on a daemon thread: EOF comes back as None; never blocks interpreter exit."""

    def __init__(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._lines: asyncio.Queue[str | None] = asyncio.Queue()
        self._wanted = threading.Semaphore(0)
        threading.Thread(target=self._read, name="console-input", daemon=True).start()

    def _read(self) -> None:
        while True:
            self._wanted.acquire()
            try:
                line: str | None = input(PROMPT)
            except (EOFError, OSError, ValueError):
                line = None
            self._loop.call_soon_threadsafe(self._lines.put_nowait, line)
            if line is None:
                return

    async def next(self) -> str | None:
        """The next line (None at EOF)."""
        self._wanted.release()
        return await self._lines.get()


def create_adapter(runtime: Runtime, *, user_id: str = "local", user_name: str | None = None,
                   stream: bool = True) -> ConsoleAdapter:
    """Entry point ``botcore.adapters: console``."""
    return ConsoleAdapter(runtime, user_id=user_id, user_name=user_name, stream=stream)
