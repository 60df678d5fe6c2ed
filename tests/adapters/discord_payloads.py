"""Discord test kit: payloads in real API v10 shapes, a fake Discord on 127.0.0.1, the bot.

:class:`FakeDiscord` is an aiohttp server that speaks enough of Discord's REST API (and gateway
websocket) for discord.py: the adapter is pointed at it through ``Route.BASE`` /
``BOTCORE_DISCORD_API_URL``, so the platform is faked at its HTTP seam and everything above it —
discord.py's HTTP client with its rate-limit handling, the adapter, the dialogue manager — is real.
Every request is recorded as a :class:`Call`.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import discord
from aiohttp import WSMsgType, web
from discord.gateway import DiscordWebSocket

from adapters.discord.adapter import configure_api_base
from adapters.discord.client import BotcoreClient
from adapters.discord.guild_settings import GuildSettingsCache
from botcore.config import Settings
from botcore.inference.base import TextDeltaCallback
from botcore.inference.payloads import GenerateRequest, GenerateResult
from botcore.runtime import Runtime
from workers.instant import InstantExecutor

BOT_ID = 900000000000000001
APP_ID = 900000000000000002
TOKEN = "fake.discord.token-NEVER-LOGGED"

_counter = itertools.count(1)


def snowflake() -> int:
    """A fresh snowflake whose timestamp is now (so ``created_at`` is recent)."""
    return discord.utils.time_snowflake(discord.utils.utcnow()) + next(_counter) % 4096


def now_iso() -> str:
    """The current time as Discord writes timestamps."""
    return discord.utils.utcnow().isoformat()


def user(uid: int, name: str, *, bot: bool = False) -> dict[str, Any]:
    """A user object."""
    return {
        "id": str(uid),
        "username": name,
        "discriminator": "0",
        "global_name": name.title(),
        "avatar": None,
        "bot": bot,
    }


BOT_USER = user(BOT_ID, "botcore", bot=True)


def member(u: dict[str, Any], *, roles: tuple[int, ...] = (), permissions: int = 0) -> dict[str, Any]:
    """A guild member object (``permissions`` only appears in interactions)."""
    return {
        "user": u,
        "roles": [str(r) for r in roles],
        "joined_at": now_iso(),
        "deaf": False,
        "mute": False,
        "flags": 0,
        "permissions": str(permissions),
    }


def text_channel(cid: int, gid: int, name: str = "general") -> dict[str, Any]:
    """A guild text channel."""
    return {
        "id": str(cid),
        "type": 0,
        "guild_id": str(gid),
        "name": name,
        "position": 0,
        "permission_overwrites": [],
        "nsfw": False,
        "parent_id": None,
    }


def thread(tid: int, gid: int, parent_id: int, name: str = "homework") -> dict[str, Any]:
    """A public thread."""
    return {
        "id": str(tid),
        "type": 11,
        "guild_id": str(gid),
        "parent_id": str(parent_id),
        "name": name,
        "owner_id": "1",
        "message_count": 0,
        "member_count": 1,
        "rate_limit_per_user": 0,
        "thread_metadata": {
            "archived": False,
            "auto_archive_duration": 1440,
            "archive_timestamp": now_iso(),
            "locked": False,
        },
    }


def guild(
    gid: int,
    *,
    channels: list[dict[str, Any]],
    threads: list[dict[str, Any]] = (),  # type: ignore[assignment]
) -> dict[str, Any]:
    """A GUILD_CREATE payload with the bot as a member (everyone may send messages)."""
    return {
        "id": str(gid),
        "name": "Study group",
        "owner_id": "1",
        "icon": None,
        "features": [],
        "roles": [
            {
                "id": str(gid),
                "name": "@everyone",
                "permissions": str(discord.Permissions.text().value | 1024),
                "position": 0,
                "color": 0,
                "hoist": False,
                "managed": False,
                "mentionable": False,
                "flags": 0,
            }
        ],
        "channels": channels,
        "threads": list(threads),
        "members": [member(BOT_USER)],
        "emojis": [],
        "stickers": [],
        "member_count": 2,
        "large": False,
        "unavailable": False,
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "mfa_level": 0,
        "premium_tier": 0,
        "preferred_locale": "en-US",
        "nsfw_level": 0,
    }


def message(
    *,
    channel_id: int,
    author: dict[str, Any],
    content: str,
    guild_id: int | None = None,
    message_id: int | None = None,
    mentions: tuple[dict[str, Any], ...] = (),
    attachments: tuple[dict[str, Any], ...] = (),
    edited: bool = False,
    webhook_id: int | None = None,
    message_type: int = 0,
) -> dict[str, Any]:
    """A MESSAGE_CREATE / MESSAGE_UPDATE payload."""
    data: dict[str, Any] = {
        "id": str(message_id or snowflake()),
        "channel_id": str(channel_id),
        "author": author,
        "content": content,
        "timestamp": now_iso(),
        "edited_timestamp": now_iso() if edited else None,
        "tts": False,
        "mention_everyone": "@everyone" in content,
        "mentions": list(mentions),
        "mention_roles": [],
        "attachments": list(attachments),
        "embeds": [],
        "pinned": False,
        "type": message_type,
        "flags": 0,
    }
    if guild_id is not None:
        data["guild_id"] = str(guild_id)
        data["member"] = {k: v for k, v in member(author).items() if k != "user"}
    if webhook_id is not None:
        data["webhook_id"] = str(webhook_id)
    return data


def attachment(filename: str, content_type: str) -> dict[str, Any]:
    """An attachment object."""
    return {
        "id": str(snowflake()),
        "filename": filename,
        "size": 1234,
        "url": f"https://cdn.example/{filename}",
        "proxy_url": f"https://cdn.example/{filename}",
        "content_type": content_type,
    }


def _interaction_base(
    kind: int, *, channel: dict[str, Any], author: dict[str, Any], permissions: int
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(snowflake()),
        "application_id": str(APP_ID),
        "type": kind,
        "channel_id": channel["id"],
        "channel": channel,
        "token": f"itoken-{next(_counter)}",
        "version": 1,
        "app_permissions": str(discord.Permissions.all().value),
        "attachment_size_limit": 10 * 1024 * 1024,
        "locale": "en-US",
        "entitlements": [],
        "authorizing_integration_owners": {},
        "context": 0,
    }
    if "guild_id" in channel:
        data["guild_id"] = channel["guild_id"]
        data["guild_locale"] = "en-US"
        data["member"] = member(author, permissions=permissions)
    else:
        data["user"] = author
    return data


def slash(
    name: str,
    options: list[dict[str, Any]] | None = None,
    *,
    channel: dict[str, Any],
    author: dict[str, Any],
    permissions: int = 0,
) -> dict[str, Any]:
    """An APPLICATION_COMMAND interaction (type 2) for ``/name`` with ``options``."""
    data = _interaction_base(2, channel=channel, author=author, permissions=permissions)
    data["data"] = {"id": str(snowflake()), "name": name, "type": 1, "options": options or []}
    return data


def option(name: str, value: Any) -> dict[str, Any]:
    """A command option (string, boolean or integer type from the value)."""
    kind = 5 if isinstance(value, bool) else 4 if isinstance(value, int) else 3
    return {"name": name, "type": kind, "value": value}


def subcommand(name: str, options: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A sub-command option (``/settings channel …``)."""
    return {"name": name, "type": 1, "options": options or []}


def button_press(
    custom_id: str, *, channel: dict[str, Any], author: dict[str, Any], message_id: int
) -> dict[str, Any]:
    """A MESSAGE_COMPONENT interaction (type 3) for a button."""
    data = _interaction_base(3, channel=channel, author=author, permissions=0)
    data["data"] = {"custom_id": custom_id, "component_type": 2}
    data["message"] = message(
        channel_id=int(channel["id"]),
        author=BOT_USER,
        content="answer",
        message_id=message_id,
        guild_id=int(channel["guild_id"]) if "guild_id" in channel else None,
    )
    data["message"]["components"] = [
        {"type": 1, "components": [{"type": 2, "style": 2, "label": "👍", "custom_id": custom_id}]}
    ]
    return data


def dm_channel(cid: int, recipient: dict[str, Any]) -> dict[str, Any]:
    """A DM channel object (as interactions carry it)."""
    return {"id": str(cid), "type": 1, "recipients": [recipient]}


@dataclass(slots=True)
class Call:
    """One request the fake received."""

    method: str
    path: str
    query: dict[str, str]
    json: Any
    files: dict[str, bytes] = field(default_factory=dict)
    authorization: str | None = None
    status: int = 200
    response: Any = None
    at: float = 0.0


def _json(payload: Any, *, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """A JSON response whose content type is exactly ``application/json`` (discord.py checks)."""
    return web.Response(
        body=json.dumps(payload).encode(),
        status=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


_APP: dict[str, Any] = {
    "id": str(APP_ID),
    "name": "botcore",
    "icon": None,
    "description": "",
    "rpc_origins": [],
    "bot_public": True,
    "bot_require_code_grant": False,
    "owner": user(1, "owner"),
    "summary": "",
    "verify_key": "0" * 64,
    "flags": 0,
    "team": None,
    "interactions_endpoint_url": None,
}


class FakeDiscord:
    """Discord's REST API and gateway, enough of them for discord.py, on 127.0.0.1."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.guilds: list[dict[str, Any]] = []
        self._rate_limits: list[tuple[str, re.Pattern[str], float]] = []
        self._runner: web.AppRunner | None = None
        self._sockets: list[web.WebSocketResponse] = []
        self._seq = itertools.count(1)
        self.identified = asyncio.Event()
        self.port = 0
        self.changed = asyncio.Condition()
        self.dm_closed: set[str] = set()
        """User ids whose DMs refuse the bot (Discord's 403, code 50007)."""
        self.dms: dict[str, str] = {}
        """DM channel id -> recipient user id, for DMs the bot opened."""
        self.typing_gap_s: float | None = None
        """When set, a typing call to a channel sooner than this after the previous one is
        answered with a 429 (stricter than Discord, to prove we stay under it)."""
        self._last_typing: dict[str, float] = {}

    @property
    def base_url(self) -> str:
        """What ``BOTCORE_DISCORD_API_URL`` should be."""
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        """Listen on a free port."""
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", "/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def close(self) -> None:
        """Stop the server and drop gateway connections."""
        for ws in self._sockets:
            with contextlib.suppress(Exception):
                await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    def rate_limit_once(self, method: str, path_regex: str, retry_after: float) -> None:
        """Answer the next matching request with a 429 carrying ``retry_after``."""
        self._rate_limits.append((method, re.compile(path_regex), retry_after))

    # queries ---------------------------------------------------------------------------------

    def find(self, method: str, path_regex: str) -> list[Call]:
        """Recorded calls matching ``method`` and ``path_regex`` (a full match)."""
        pattern = re.compile(path_regex)
        return [c for c in self.calls if c.method == method and pattern.fullmatch(c.path)]

    def sent_messages(self, channel_id: int | str | None = None) -> list[Call]:
        """``POST /channels/{id}/messages`` calls (successful ones)."""
        cid = str(channel_id) if channel_id is not None else r"\d+"
        return [c for c in self.find("POST", rf"/api/v10/channels/{cid}/messages") if c.status == 200]

    async def wait_for(self, method: str, path_regex: str, count: int = 1, within_s: float = 5) -> list[Call]:
        """Wait until ``count`` matching calls arrived."""
        async with asyncio.timeout(within_s):
            async with self.changed:
                await self.changed.wait_for(lambda: len(self.find(method, path_regex)) >= count)
        return self.find(method, path_regex)

    # REST ------------------------------------------------------------------------------------

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        body: Any = None
        files: dict[str, bytes] = {}
        if request.content_type == "application/json":
            body = await request.json()
        elif request.content_type.startswith("multipart/"):
            form = await request.post()
            for key, value in form.items():
                if key == "payload_json":
                    body = json.loads(str(value))
                elif hasattr(value, "file"):
                    files[value.filename] = value.file.read()  # type: ignore[union-attr]
        typing = re.fullmatch(r"/api/v10/channels/(\d+)/typing", path)
        if typing and self.typing_gap_s is not None:
            now, channel = asyncio.get_running_loop().time(), typing.group(1)
            last = self._last_typing.get(channel)
            if last is not None and now - last < self.typing_gap_s:
                self._rate_limits.insert(0, (request.method, re.compile(re.escape(path)), 1.0))
            else:
                self._last_typing[channel] = now
        for i, (method, pattern, retry_after) in enumerate(self._rate_limits):
            if method == request.method and pattern.fullmatch(path):
                del self._rate_limits[i]
                payload = {
                    "message": "You are being rate limited.",
                    "retry_after": retry_after,
                    "global": False,
                }
                self._record(request, body, files, 429, payload)
                return _json(
                    payload,
                    status=429,
                    headers={"Via": "1.1 google", "Retry-After": str(retry_after)},
                )
        status, payload = self._answer(request.method, path, body)
        self._record(request, body, files, status, payload)
        if payload is None:
            return web.Response(status=status)
        return _json(payload, status=status)

    def _record(
        self, request: web.Request, body: Any, files: dict[str, bytes], status: int, payload: Any
    ) -> None:
        self.calls.append(
            Call(
                request.method,
                request.path,
                dict(request.query),
                body,
                files,
                request.headers.get("Authorization"),
                status,
                payload,
                asyncio.get_running_loop().time(),
            )
        )
        asyncio.get_running_loop().create_task(self._notify())

    async def _notify(self) -> None:
        async with self.changed:
            self.changed.notify_all()

    def _answer(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        p = path.removeprefix("/api/v10")
        if method == "GET" and p == "/users/@me":
            return 200, BOT_USER
        if method == "GET" and p == "/oauth2/applications/@me":
            return 200, _APP
        if method == "GET" and p == "/gateway/bot":
            return 200, {
                "url": f"ws://127.0.0.1:{self.port}/gateway",
                "shards": 1,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 1000,
                    "reset_after": 0,
                    "max_concurrency": 1,
                },
            }
        if method == "PUT" and re.fullmatch(r"/applications/\d+/commands", p):
            return 200, [
                {
                    **cmd,
                    "id": str(snowflake()),
                    "application_id": str(APP_ID),
                    "version": "1",
                    "type": cmd.get("type", 1),
                }
                for cmd in body or []
            ]
        if method == "POST" and p == "/users/@me/channels":
            recipient = str((body or {}).get("recipient_id"))
            cid = str(int(recipient) + 7)
            self.dms[cid] = recipient
            return 200, {"id": cid, "type": 1, "recipients": [user(int(recipient), "dm-user")]}
        if (m := re.fullmatch(r"/channels/(\d+)/messages", p)) and method == "POST":
            if self.dms.get(m.group(1)) in self.dm_closed:
                return 403, {"message": "Cannot send messages to this user", "code": 50007}
            return 200, self._message(m.group(1), body or {})
        if m := re.fullmatch(r"/channels/(\d+)/messages/(\d+)", p):
            if method == "PATCH":
                return 200, self._message(m.group(1), body or {}, int(m.group(2)))
            if method == "DELETE":
                return 204, None
        if re.fullmatch(r"/channels/\d+/typing", p):
            return 204, None
        if m := re.fullmatch(r"/interactions/(\d+)/[^/]+/callback", p):
            flags = ((body or {}).get("data") or {}).get("flags", 0)
            return 200, {
                "interaction": {
                    "id": m.group(1),
                    "type": 2,
                    "response_message_loading": body.get("type") == 5,
                    "response_message_ephemeral": bool(flags & 64),
                }
            }
        if re.fullmatch(r"/webhooks/\d+/[^/]+", p) and method == "POST":
            return 200, self._message("1", body or {})
        if m := re.fullmatch(r"/webhooks/\d+/[^/]+/messages/([^/]+)", p):
            if method == "DELETE":
                return 204, None
            mid = int(m.group(1)) if m.group(1).isdigit() else None
            return 200, self._message("1", body or {}, mid)
        return 404, {"message": f"fake: no route {method} {p}", "code": 0}

    def final(self, channel_id: int | str) -> list[dict[str, Any]]:
        """Each message the bot created in a channel as it finally reads, in order.

        The request body of its ``POST`` (content, components, allowed mentions, reference)
        updated by every later ``PATCH`` (a streamed reply is created once, then edited), plus
        the ``id`` the fake gave it; messages the bot deleted are left out.
        """
        messages: dict[str, dict[str, Any]] = {}
        prefix = f"/api/v10/channels/{channel_id}/messages"
        for call in self.calls:
            if call.status not in (200, 204):
                continue
            if call.method == "POST" and call.path == prefix:
                messages[call.response["id"]] = {**(call.json or {}), "id": call.response["id"]}
            elif call.path.startswith(prefix + "/"):
                mid = call.path.rsplit("/", 1)[1]
                if mid not in messages:
                    continue
                if call.method == "PATCH":
                    messages[mid].update(call.json or {})
                elif call.method == "DELETE":
                    del messages[mid]
        return list(messages.values())

    def transcript(self, channel_id: int | str) -> list[str]:
        """The final text of each message the bot created in a channel, in order."""
        return [m.get("content") or "" for m in self.final(channel_id)]

    @staticmethod
    def _message(channel_id: str, body: dict[str, Any], mid: int | None = None) -> dict[str, Any]:
        data = message(
            channel_id=int(channel_id),
            author=BOT_USER,
            content=body.get("content") or "",
            message_id=mid,
        )
        data["components"] = body.get("components", [])
        return data

    # gateway ---------------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_json({"op": 10, "d": {"heartbeat_interval": 40000}, "s": None, "t": None})
        async for msg in ws:
            if msg.type is not WSMsgType.TEXT:
                break
            frame = json.loads(msg.data)
            if frame["op"] == 1:
                await ws.send_json({"op": 11, "d": None, "s": None, "t": None})
            elif frame["op"] == 2:
                self.identified.set()
                await self._send(
                    ws,
                    "READY",
                    {
                        "v": 10,
                        "user": BOT_USER,
                        "session_id": "fake-session",
                        "resume_gateway_url": f"ws://127.0.0.1:{self.port}/gateway",
                        "guilds": [{"id": g["id"], "unavailable": True} for g in self.guilds],
                        "application": {"id": str(APP_ID), "flags": 0},
                    },
                )
                for g in self.guilds:
                    await self._send(ws, "GUILD_CREATE", g)
        return ws

    async def _send(self, ws: web.WebSocketResponse, event: str, data: dict[str, Any]) -> None:
        await ws.send_json({"op": 0, "t": event, "s": next(self._seq), "d": data})

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send a gateway event to every connected client."""
        for ws in self._sockets:
            if not ws.closed:
                await self._send(ws, event, data)


# the bot under test --------------------------------------------------------------------------

GID = 910000000000000001
CHANNEL = 910000000000000002
OTHER_CHANNEL = 910000000000000003
THREAD = 910000000000000004
DM = 910000000000000005
ANA = user(920000000000000001, "ana")
BEN = user(920000000000000002, "ben")
OTHER_BOT = user(920000000000000003, "otherbot", bot=True)


class SlowExecutor(InstantExecutor):
    """The instant model, but streaming one word every ``delay_s`` (like a real generator)."""

    def __init__(self, delay_s: float = 0.03) -> None:
        super().__init__()
        self.delay_s = delay_s

    async def generate(
        self, request: GenerateRequest, on_delta: TextDeltaCallback | None = None
    ) -> GenerateResult:
        async def slow(delta: str) -> None:
            await asyncio.sleep(self.delay_s)
            if on_delta is not None:
                await on_delta(delta)

        return await super().generate(request, slow)


def make_settings(tmp_path: Path) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        data_dir=tmp_path / "data",
        executor="instant",
        rate_limit_user=10_000,
        rate_limit_chat=10_000,
        max_new_tokens=2000,
    )


Fake = TypeVar("Fake", bound=FakeDiscord)


@contextlib.asynccontextmanager
async def serving(server: Fake) -> AsyncIterator[Fake]:
    """Run ``server`` with discord.py's REST pointed at it; afterwards restore the process-wide
    REST base and gateway URL (the adapter changes both) and stop the server."""
    await server.start()
    old = discord.http.Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    configure_api_base(server.base_url)
    try:
        yield server
    finally:
        discord.http.Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = old
        await server.close()


async def start_bot(runtime: Runtime, **options: Any) -> BotcoreClient:
    client = BotcoreClient(
        runtime.manager, GuildSettingsCache(runtime.long_term), stream_interval_s=0.2, **options
    )
    try:
        await client.login(TOKEN)
    except BaseException:
        await client.close()
        raise
    client._connection.parse_guild_create(
        guild(
            GID,
            channels=[text_channel(CHANNEL, GID), text_channel(OTHER_CHANNEL, GID, "random")],
            threads=[thread(THREAD, GID, CHANNEL)],
        )
    )
    return client


def gateway(client: discord.Client) -> Any:
    """The client's ``ConnectionState``, whose ``parse_*`` methods take raw gateway payloads."""
    return client._connection


async def settle(within_s: float = 10) -> None:
    """Wait until every event handler and interaction task discord.py started is done."""
    me = asyncio.current_task()
    async with asyncio.timeout(within_s):
        while True:
            await asyncio.sleep(0.01)
            busy = [
                t
                for t in asyncio.all_tasks()
                if t is not me
                and not t.done()
                and (
                    t.get_name().startswith(("discord.py:", "discord-ui", "discord-stream"))
                    or t.get_name() == "CommandTree-invoker"
                )
            ]
            if not busy:
                return
            await asyncio.wait(busy, timeout=within_s)
