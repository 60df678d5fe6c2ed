"""`botctl chat`: the console adapter (the main job on the embedded default)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from typing import Annotated, Any

import typer

from botcore import plugins
from botcore.cli import common
from botcore.logs import setup_logging
from botcore.runtime import open_runtime


def chat(
    message: Annotated[str | None, typer.Option("--message", "-m",
                                                help="Send one message, print the reply, exit.")] = None,
    user: Annotated[str, typer.Option("--user", "-u",
                                      help="Speak as console:USER (memory is per user).")] = "local",
    name: Annotated[str | None, typer.Option("--name", help="Your display name.")] = None,
    no_stream: Annotated[bool, typer.Option("--no-stream", help="Print replies whole.")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="With --message: print JSON.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log at INFO.")] = False,
) -> None:
    """Chat with the bot in the terminal.

    Examples:

        botctl chat

        botctl chat --message "Hi, I'm Ana" --user ana
    """
    settings = common.settings()
    setup_logging(settings, "INFO" if verbose else "WARNING")
    if not verbose:  # keep model-loading progress bars out of the conversation
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        os.environ.setdefault("TQDM_DISABLE", "1")
    if not user.strip() or ":" in user:
        common.fail("--user must be a plain id (the platform is console)", code=2)
    if message is not None and not message.strip():
        common.fail("--message is empty", code=2)

    async def main() -> int:
        stops = _Stopper(settings.shutdown_grace_s)
        try:
            async with open_runtime(settings) as rt:
                factory = plugins.load(plugins.ADAPTERS, "console")
                stream = not (no_stream or json_out) and message is not None and sys.stdout.isatty()
                adapter = factory(rt, user_id=user, user_name=name,
                                  stream=stream or (message is None and not no_stream))
                stops.adapter = adapter
                return await one(adapter) or stops.code
        except asyncio.CancelledError:  # stopped by a signal after the grace period
            if stops.code:
                return stops.code
            raise

    async def one(adapter: Any) -> int:
        if message is None:
            await adapter.run()
            return 0
        if json_out:
            import io

            adapter.out = io.StringIO()
            replies = await adapter.send(message)
            common.emit_json([{"text": r.text, "skill": r.skill, "notice": r.notice}
                              for r in replies])
        else:
            replies = await adapter.send(message)
        return 0 if replies else 1

    raise typer.Exit(common.run(main()))


class _Stopper:
    """SIGINT/SIGTERM: stop reading input, let the turn in flight finish within the grace
    period, then cancel; a second signal cancels at once. Installed on construction."""

    def __init__(self, grace_s: float) -> None:
        self.grace_s = grace_s
        self.adapter: Any = None
        self.code = 0
        self._task = asyncio.current_task()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, self._on_signal)

    def _on_signal(self) -> None:
        if self._task is None:
            return
        if self.code:  # the second one: now
            self._task.cancel()
            return
        self.code = 130
        stop = getattr(self.adapter, "request_stop", None)
        if stop is not None:
            stop()
        # the adapter cancels its turn after the grace period; this is the backstop
        asyncio.get_running_loop().call_later(self.grace_s + 3.0, self._task.cancel)
