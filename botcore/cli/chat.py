"""`botctl chat`: the console adapter (the main job on the embedded default)."""

from __future__ import annotations

import os
import sys
from typing import Annotated

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
        async with open_runtime(settings) as rt:
            factory = plugins.load(plugins.ADAPTERS, "console")
            stream = not (no_stream or json_out) and message is not None and sys.stdout.isatty()
            adapter = factory(rt, user_id=user, user_name=name,
                              stream=stream or (message is None and not no_stream))
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
