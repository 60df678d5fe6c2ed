"""A fake Telegram Bot API: one in-memory core, two transports.

- :class:`RecordingRequest` is a PTB ``BaseRequest``: the bot's HTTP calls go straight to the core
  (unit tests of the send path; no network is ever touched).
- :class:`FakeBotApiServer` serves the same core over HTTP on 127.0.0.1 (end-to-end tests, with
  ``BOTCORE_TELEGRAM_API_URL`` pointing at it).

The core records every call with its parameters and time, answers with real Bot API result
shapes, serves queued updates through ``getUpdates`` (long polling, offsets confirmed like
Telegram does), and fails calls on request (``fail_next``: a 429 with ``retry_after``, a 400
"can't parse entities", a 403 "bot was blocked by the user"…).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import defaultdict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from telegram.request import BaseRequest, RequestData

from botcore.dialogue.protocols import ReplyStream
from botcore.messages import IncomingMessage, OutgoingMessage
from tests.adapters.telegram_payloads import BOT_USER, TOKEN

JSON = dict[str, Any]

_TEXT_FIELDS = {
    "text",
    "caption",
    "callback_query_id",
    "action",
    "url",
    "secret_token",
    "parse_mode",
    "description",
    "filename",
}


@dataclass(slots=True)
class Call:
    """One Bot API call as the server saw it."""

    method: str
    params: JSON
    at: float = field(default_factory=time.monotonic)


class FakeBotApi:
    """The Bot API's behaviour, independent of transport."""

    def __init__(self, token: str = TOKEN, bot_user: JSON | None = None) -> None:
        self.token = token
        self.bot_user = dict(bot_user or BOT_USER)
        self.calls: list[Call] = []
        self.pending: list[JSON] = []
        self.confirmed_offset = 0
        self.failures: dict[str, deque[tuple[int, JSON]]] = defaultdict(deque)
        self.next_message_id = 1000
        self._arrived = asyncio.Event()
        self.messages: dict[tuple[int, int], JSON] = {}
        self.members: dict[tuple[int, int], str] = {}
        """``getChatMember`` answers: ``(chat_id, user_id) → status`` (default ``member``)."""
        self.closed = False
        self.chat_action_gap_s: float | None = None
        """When set, a ``sendChatAction`` to a chat sooner than this after the previous one is
        refused with a 429 (a flood limit as strict as we want to prove we stay under)."""
        self.flood_refused: list[Call] = []
        """Calls this fake refused with a 429 by ``chat_action_gap_s``."""
        self._last_action: dict[Any, float] = {}

    def close(self) -> None:
        """Release long polls in progress (the server is going away)."""
        self.closed = True
        self._arrived.set()

    # scripting ------------------------------------------------------------------------------

    def push_update(self, *updates: JSON) -> None:
        """Queue updates for ``getUpdates``."""
        self.pending.extend(updates)
        self._arrived.set()

    def fail_next(
        self,
        method: str,
        status: int,
        description: str,
        *,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` calls of ``method`` fail like Telegram does."""
        body: JSON = {"ok": False, "error_code": status, "description": description}
        if retry_after is not None:
            body["parameters"] = {"retry_after": retry_after}
        for _ in range(times):
            self.failures[method].append((status, body))

    # inspection -----------------------------------------------------------------------------

    def methods(self, *, polling: bool = False) -> list[str]:
        """Method names in call order (``getUpdates`` left out unless ``polling``)."""
        return [c.method for c in self.calls if polling or c.method != "getUpdates"]

    def of(self, method: str) -> list[Call]:
        """The calls of one method."""
        return [c for c in self.calls if c.method == method]

    # behaviour ------------------------------------------------------------------------------

    async def handle(self, method: str, params: JSON) -> tuple[int, JSON]:
        """Answer one call: ``(HTTP status, JSON body)``."""
        call = Call(method, params)
        self.calls.append(call)
        queue = self.failures.get(method)
        if queue:
            return queue.popleft()
        if method == "sendChatAction" and self.chat_action_gap_s is not None:
            chat, last = params.get("chat_id"), self._last_action.get(params.get("chat_id"))
            if last is not None and call.at - last < self.chat_action_gap_s:
                self.flood_refused.append(call)
                return 429, {"ok": False, "error_code": 429, "parameters": {"retry_after": 1},
                             "description": "Too Many Requests: retry after 1"}
            self._last_action[chat] = call.at
        if method == "getUpdates":
            return 200, {"ok": True, "result": await self._get_updates(params)}
        result = self._result(method, params)
        return 200, {"ok": True, "result": result}

    async def _get_updates(self, params: JSON) -> list[JSON]:
        offset = int(params.get("offset") or 0)
        if offset:
            self.confirmed_offset = max(self.confirmed_offset, offset)
            self.pending = [u for u in self.pending if u["update_id"] >= offset]
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)
        if not self.pending and timeout > 0 and not self.closed:
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), timeout)
            except TimeoutError:
                return []
        return self.pending[:limit]

    def _message(self, params: JSON, text: str | None) -> JSON:
        chat_id = int(params["chat_id"])
        self.next_message_id += 1
        msg: JSON = {
            "message_id": self.next_message_id,
            "date": int(time.time()),
            "from": dict(self.bot_user),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
        }
        if text is not None:
            msg["text"] = text
        if params.get("message_thread_id"):
            msg["message_thread_id"] = int(params["message_thread_id"])
            msg["is_topic_message"] = True
        self.messages[(chat_id, self.next_message_id)] = msg
        return msg

    def _result(self, method: str, params: JSON) -> Any:
        if method == "getMe":
            return self.bot_user
        if method == "sendMessage":
            return self._message(params, str(params.get("text", "")))
        if method == "sendDocument":
            msg = self._message(params, None)
            doc = params.get("document") or {}
            msg["document"] = {
                "file_id": "BQACAgQ",
                "file_unique_id": "AgAD",
                "file_name": doc.get("filename", "file"),
            }
            return msg
        if method == "editMessageText":
            key = (int(params["chat_id"]), int(params["message_id"]))
            msg = self.messages.get(key) or {
                "message_id": key[1],
                "date": int(time.time()),
                "from": dict(self.bot_user),
                "chat": {"id": key[0], "type": "private" if key[0] > 0 else "supergroup"},
            }
            msg = {**msg, "text": str(params.get("text", "")), "edit_date": int(time.time())}
            self.messages[key] = msg
            return msg
        if method == "getChatMember":
            return self._member(int(params["chat_id"]), int(params["user_id"]))
        if method == "getWebhookInfo":
            return {"url": "", "has_custom_certificate": False, "pending_update_count": 0}
        return True  # sendChatAction, answerCallbackQuery, setMyCommands, deleteWebhook, …


    def _member(self, chat_id: int, user_id: int) -> JSON:
        status = self.members.get((chat_id, user_id), "member")
        user = {"id": user_id, "is_bot": False, "first_name": f"user{user_id}"}
        if status == "creator":
            return {"status": "creator", "user": user, "is_anonymous": False}
        if status == "administrator":
            rights = ("can_be_edited", "is_anonymous", "can_manage_chat", "can_delete_messages",
                      "can_manage_video_chats", "can_restrict_members", "can_promote_members",
                      "can_change_info", "can_invite_users", "can_post_stories",
                      "can_edit_stories", "can_delete_stories")
            return {"status": "administrator", "user": user, **dict.fromkeys(rights, False),
                    "can_manage_chat": True}
        return {"status": status, "user": user}


def _decode(key: str, value: Any) -> Any:
    """Undo PTB's form encoding: non-string values were sent as JSON, strings as they are."""
    if not isinstance(value, str) or key in _TEXT_FIELDS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


class RecordingRequest(BaseRequest):
    """A PTB request that hands every call to a :class:`FakeBotApi` (never the network)."""

    def __init__(self, api: FakeBotApi) -> None:
        self.api = api

    @property
    def read_timeout(self) -> float | None:
        """No network, no timeout."""
        return None

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        """Answer from the fake core."""
        api_method = url.rsplit("/", 1)[-1]
        params: JSON = {}
        if request_data is not None:
            params = {k: _decode(k, v) for k, v in request_data.json_parameters.items()}
            for name, (filename, content, *_rest) in request_data.multipart_data.items():
                size = len(content) if isinstance(content, bytes) else len(content.read())
                params[name] = {"filename": filename, "size": size}
        status, body = await self.api.handle(api_method, params)
        return status, json.dumps(body).encode()


class FakeBotApiServer:
    """:class:`FakeBotApi` over HTTP: ``POST /bot<token>/<method>`` on 127.0.0.1."""

    def __init__(self, api: FakeBotApi) -> None:
        self.api = api
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def _route(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.api.token:
            body: JSON = {"ok": False, "error_code": 401, "description": "Unauthorized"}
            return web.json_response(body, status=401)
        params: JSON = {}
        if request.content_type == "application/json":
            params = dict(await request.json())
        elif request.can_read_body:
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    data = value.file.read()
                    params[key] = {"filename": value.filename, "size": len(data)}
                else:
                    params[key] = _decode(key, value)
        params.update({k: _decode(k, v) for k, v in request.query.items()})
        status, body = await self.api.handle(request.match_info["method"], params)
        return web.json_response(body, status=status)

    async def start(self) -> str:
        """Listen on a free port; return the base URL (``http://127.0.0.1:PORT``)."""
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._route)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert isinstance(server, asyncio.Server)
        port = server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        """Close the server."""
        self.api.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


# collaborators of the adapter, faked at their protocol seams ------------------------------------

Reply = Callable[[IncomingMessage], list[OutgoingMessage]]


class ScriptedHandler:
    """A :class:`~botcore.dialogue.protocols.TurnHandler` that records messages and answers with
    ``reply(message)``, optionally streaming ``stream_steps`` first (``step_delay`` apart)."""

    def __init__(
        self,
        reply: Reply | None = None,
        *,
        stream_steps: Sequence[str] = (),
        step_delay: float = 0.0,
        delay: float = 0.01,
    ) -> None:
        self.reply = reply or (lambda m: [OutgoingMessage(f"echo: {m.text}", m.chat_id)])
        self.stream_steps = list(stream_steps)
        self.step_delay = step_delay
        self.delay = delay
        self.seen: list[IncomingMessage] = []

    async def handle(
        self, message: IncomingMessage, stream: ReplyStream | None = None
    ) -> list[OutgoingMessage]:
        """Record, optionally stream, answer (only when addressed, like the manager)."""
        self.seen.append(message)
        if not message.addressed:
            return []
        await asyncio.sleep(self.delay)
        for step in self.stream_steps:
            if stream is not None:
                await stream.update(step)
            await asyncio.sleep(self.step_delay)
        return self.reply(message)


class UserFlagsRecorder:
    """Records ``set_user_flags`` calls (the adapter's only use of long-term memory)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, bool | None]] = []

    async def set_user_flags(
        self,
        platform: str,
        platform_user_id: str,
        *,
        blocked: bool | None = None,
        active: bool | None = None,
        consent_training: bool | None = None,
    ) -> bool:
        """Record the change."""
        self.calls.append((platform, platform_user_id, active))
        return True
