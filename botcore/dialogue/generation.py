"""The generate function a skill receives: streams to the adapter, screened, time-bounded."""

from __future__ import annotations

import asyncio
import logging

from botcore.config import Settings
from botcore.dialogue.busy import status_hook
from botcore.dialogue.context import Generate
from botcore.dialogue.protocols import ReplyStream
from botcore.errors import BotcoreError, InferenceTimeout
from botcore.inference.base import ModelExecutor
from botcore.inference.payloads import ChatTurn, GenerateRequest
from botcore.messages import IncomingMessage
from botcore.safety import StreamScreen

log = logging.getLogger(__name__)


def generator(executor: ModelExecutor, settings: Settings, message: IncomingMessage, skill: str,
              stream: ReplyStream | None) -> Generate:
    """A :class:`~botcore.dialogue.context.Generate` for one turn of ``skill``.

    Each delta is shown on ``stream`` (when ``live``) only as far as the prompt canary cannot be
    starting in it; no reply within ``settings.reply_timeout_s`` raises
    :class:`~botcore.errors.InferenceTimeout`.
    """
    request_id = f"{message.platform}:{message.chat_id}:{message.message_id}"

    async def generate(messages: list[ChatTurn], *, temperature: float = 0.7,
                       max_new_tokens: int | None = None, live: bool = True) -> str:
        out = stream if live else None  # checked text is shown only once it is final
        request = GenerateRequest(
            request_id=request_id, skill=skill, messages=messages,
            max_new_tokens=min(max_new_tokens or settings.max_new_tokens,
                               settings.max_new_tokens),
            temperature=temperature, stream=out is not None,
            stop=["<|im_end|>", "\nUser:", "\nuser:"],
        )
        parts: list[str] = []
        # Every delta is screened like the final reply: a tail that could start the canary
        # is held back, and after a leak nothing more is shown (#12).
        screen = StreamScreen(settings.secrets_in_prompt)
        shown = [""]

        async def on_delta(delta: str) -> None:
            parts.append(delta)
            visible = screen.visible("".join(parts))
            if out is not None and visible and visible != shown[0]:
                shown[0] = visible
                try:
                    await out.update(visible)
                except BotcoreError as exc:  # a failed edit must not lose the answer
                    log.warning("stream update failed: %s", exc)

        try:
            result = await asyncio.wait_for(
                executor.generate(request, on_delta if out is not None else None,
                                  **status_hook(executor, stream)),
                settings.reply_timeout_s)
        except TimeoutError as exc:
            raise InferenceTimeout(f"no reply within {settings.reply_timeout_s}s") from exc
        return result.text

    return generate
