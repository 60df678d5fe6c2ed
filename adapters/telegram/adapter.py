"""The Telegram adapter: updates in (polling or webhook), turns through the dialogue manager,
replies out.

Every update becomes a task. Tasks of one conversation (chat, topic, user) run one after the
other in arrival order, so replies come in the order the messages were sent; other
conversations run concurrently, up to ``max_inflight`` turns, beyond which intake pauses.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ExtBot

from adapters.base import AdapterRuntime
from adapters.outbox_loop import OutboxLoop
from adapters.telegram.bot import COMMANDS, build_bot, commands
from adapters.telegram.intake import ALLOWED_UPDATES as ALLOWED_UPDATES
from adapters.telegram.normalize import PLATFORM, BotIdentity, membership_change, normalize
from adapters.telegram.outbox import telegram_outbox
from adapters.telegram.redact import install_redaction
from adapters.telegram.reply import TYPING_EVERY_S, TelegramStream, deliver, typing_call
from adapters.telegram.sender import Sender, Target, UserFlags
from adapters.telegram.settings import ChatSettingsStore, handle_settings, is_settings_command
from adapters.typing_loops import TypingLoops
from botcore.dialogue.answering import on_answering
from botcore.dialogue.protocols import TurnHandler
from botcore.errors import AdapterError, ConfigError
from botcore.messages import ChatType, IncomingMessage, OutgoingMessage
from botcore.ordering import KeyedOrder

log = logging.getLogger(__name__)

CANCEL_WAIT_S = 2.0
"""How long cancelled turns may take to unwind at shutdown."""


@dataclass(slots=True)
class AdapterStats:
    """Counters for tests, benchmarks and logs."""

    updates: int = 0
    turns: int = 0
    ignored: int = 0
    failed: int = 0
    api_calls: int = 0
    overhead_s: float = 0.0
    """Time spent in the adapter itself (everything but the dialogue manager), summed."""


class TelegramAdapter:
    """A running Telegram bot (see :class:`adapters.base.Adapter`).

    Args:
        runtime: the bot process (settings: token, API URL, webhook; the dialogue manager; the
            SQL store, for the outbox, per-chat settings and users who blocked the bot).
        users: where users who blocked the bot are marked inactive (default: the SQL store).
        bot: a prepared bot (tests pass one with a fake request); built from settings otherwise.
        poll_timeout: long-polling timeout in seconds.
        stream_interval: seconds between streamed edits in private chats.
        group_stream_interval: the same in groups (their budget is 20 messages a minute).
        max_inflight: turns processed at once before intake pauses.
        drain_timeout: how long ``stop`` waits for turns in flight before cancelling them
            (default ``BOTCORE_SHUTDOWN_GRACE_S``); their updates are left unconfirmed.
        outbox: deliver the SQL store's outbox (broadcasts, answers to escalations) while
            running (needs the store).
        outbox_poll_s: seconds between two looks at an empty outbox.

    Raises:
        ConfigError: ``BOTCORE_TELEGRAM_TOKEN`` is not set.
    """

    name = "telegram"

    def __init__(
        self,
        runtime: AdapterRuntime,
        *,
        users: UserFlags | None = None,
        bot: ExtBot[int] | None = None,
        poll_timeout: float = 30.0,
        stream_interval: float = 1.0,
        group_stream_interval: float = 3.0,
        max_inflight: int = 256,
        drain_timeout: float | None = None,
        outbox: bool = True,
        outbox_poll_s: float = 2.0,
    ) -> None:
        settings = runtime.settings
        token = settings.telegram_token.get_secret_value() if settings.telegram_token else ""
        if not token:
            raise ConfigError("set BOTCORE_TELEGRAM_TOKEN (from @BotFather) to run the Telegram bot")
        store = runtime.long_term
        users = users if users is not None else store
        self.settings = settings
        self.handler: TurnHandler = runtime.manager
        self.bot: ExtBot[int] = bot or build_bot(token, settings.telegram_api_url, poll_timeout=poll_timeout)
        secret = settings.telegram_webhook_secret
        install_redaction(self.bot.token, secret.get_secret_value() if secret else "")
        self.sender = Sender(self.bot, users)
        self.users = users
        self.poll_timeout = poll_timeout
        self.stream_interval = stream_interval
        self.group_stream_interval = group_stream_interval
        self.drain_timeout = (drain_timeout if drain_timeout is not None
                              else settings.shutdown_grace_s)
        self.typing: TypingLoops[tuple[int, int | None]] = TypingLoops(TYPING_EVERY_S, restart_gap_s=0.0)
        """One "typing…" loop per chat (and topic) while any turn there is pending."""
        self.stats = AdapterStats()
        self.me: BotIdentity | None = None
        self._max_inflight = max_inflight
        self._tasks: set[asyncio.Task[None]] = set()
        self._delivering: set[asyncio.Task[Any]] = set()
        """Turns whose answer is recorded, finishing and sending it (not cancelled at shutdown)."""
        self._capacity = asyncio.Event()
        self._capacity.set()
        self._stopping = asyncio.Event()
        self._order = KeyedOrder()
        self._started = False
        self.chat_settings: ChatSettingsStore | None = store
        self.outbox: OutboxLoop | None = None
        if outbox and store is not None:
            self.outbox = telegram_outbox(store, self.sender, poll_s=outbox_poll_s)

    # lifecycle -------------------------------------------------------------------------------

    async def start(self) -> None:
        """Connect: check the token (``getMe``) and register the command menu."""
        if self._started:
            return
        try:
            await self.bot.initialize()
        except TelegramError as exc:
            raise AdapterError(f"Telegram refused to start the bot: {exc.message}") from exc
        self.me = BotIdentity(self.bot.id, self.bot.username)
        try:
            await self.bot.set_my_commands(list(COMMANDS))
            await self.bot.set_my_commands(list(commands("zh")), language_code="zh")
        except TelegramError as exc:  # the bot works without a menu
            log.warning("setMyCommands failed: %s", exc.message)
        self._started = True
        log.info("telegram bot @%s started", self.me.username)

    async def run(self) -> None:
        """Serve updates until :meth:`stop` (or cancellation); then finish in-flight turns."""
        from adapters.telegram.polling import Poller
        from adapters.telegram.webhook import serve_webhook

        await self.start()
        poller: Poller | None = None
        if self.outbox is not None:
            self.outbox.start()
        try:
            if self.settings.telegram_webhook_url:
                await serve_webhook(self, self._stopping)
            else:
                poller = Poller(self, timeout=self.poll_timeout)
                await poller.run(self._stopping)
        finally:
            await self.drain()
            if self.outbox is not None:  # stopped with the intake: had the drain to finish
                await self.outbox.close(grace_s=1.0)
            if poller is not None:
                await poller.commit()
            await self.bot.shutdown()
            self._started = False
            log.info("telegram adapter stopped (%s)", self.stats)

    async def stop(self) -> None:
        """Stop taking updates and outbox messages; :meth:`run` then lets turns in flight (and a
        delivery being sent) finish and returns."""
        self._stopping.set()
        if self.outbox is not None:
            self.outbox.stop()

    async def drain(self) -> None:
        """Wait for turns in flight (at most ``drain_timeout`` seconds, then cancel them)."""
        if not self._tasks:
            return
        log.info("waiting for %d telegram turns in flight", len(self._tasks))
        _, pending = await asyncio.wait(set(self._tasks), timeout=self.drain_timeout)
        # A turn whose answer the manager recorded (or is recording) is only left to send it:
        # let it, since a redelivery of its update would be taken for a duplicate and never be
        # answered (botcore.dialogue.answering).
        cut = {t for t in pending if t not in self._delivering}
        for task in cut:
            task.cancel()
        if cut:
            log.warning("cancelled %d telegram turns still running at shutdown (their updates "
                        "stay unconfirmed and come again after a restart)", len(cut))
        if len(pending) > len(cut):
            log.info("letting %d telegram turns send their recorded answers",
                     len(pending) - len(cut))
        if pending:
            _, left = await asyncio.wait(pending, timeout=CANCEL_WAIT_S)
            if left:
                log.warning("%d telegram turns still running after the shutdown wait", len(left))

    @property
    def finishing(self) -> int:
        """Turns whose answer is recorded (or being recorded), finishing and sending it: a
        shutdown lets them, it never cancels them."""
        return len(self._delivering)

    async def wait_for_capacity(self) -> None:
        """Return when fewer than ``max_inflight`` turns are running."""
        await self._capacity.wait()

    # intake ----------------------------------------------------------------------------------

    def submit(self, update: Update) -> asyncio.Task[None]:
        """Start processing ``update`` in the background and return its task."""
        task = asyncio.create_task(self.process_update(update), name=f"tg-{update.update_id}")
        self._tasks.add(task)
        if len(self._tasks) >= self._max_inflight:
            self._capacity.clear()
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if len(self._tasks) < self._max_inflight:
            self._capacity.set()
        if not task.cancelled() and task.exception() is not None:
            self.stats.failed += 1
            log.error("telegram update failed", exc_info=task.exception())

    async def process_update(self, update: Update) -> None:
        """Handle one update completely: normalize, run the turn, send the replies."""
        if self.me is None:
            raise AdapterError("process_update before start()")
        self.stats.updates += 1
        t0 = time.perf_counter()
        change = membership_change(update)
        if change is not None:
            await self._membership(*change)
            return
        msg = normalize(update, self.me)
        t_normalized = time.perf_counter()
        if msg is None:
            self.stats.ignored += 1
            self.stats.overhead_s += t_normalized - t0
            return
        answering = None
        if update.callback_query is not None:  # at once, even if the conversation is busy:
            answering = asyncio.create_task(  # the button spins until answered
                self.sender.answer_callback(update.callback_query.id)
            )
        key = f"{msg.chat_id}:{msg.thread_id}:{msg.user_id}"
        t_lock = time.perf_counter()
        try:
            async with self._order(key):  # first await: turns of a conversation keep arrival order
                waited = time.perf_counter()
                in_manager = await self._turn(msg)
                end = time.perf_counter()
                self.stats.overhead_s += (t_lock - t0) + (end - waited) - in_manager
        finally:
            if answering is not None:
                await answering

    async def _turn(self, msg: IncomingMessage) -> float:
        """Run one turn; return the seconds spent inside the dialogue manager."""
        private = msg.chat_type is ChatType.PRIVATE
        reply_to = None
        if not private and msg.callback_data is None:
            reply_to = int(msg.message_id)
        target = Target(
            chat_id=int(msg.chat_id),
            thread_id=int(msg.thread_id) if msg.thread_id else None,
            reply_to=reply_to,
            user_id=msg.user_id,
            private=private,
        )
        t_start = time.perf_counter()
        if self.chat_settings is not None and msg.addressed and is_settings_command(msg):
            text = await handle_settings(self.bot, self.chat_settings, msg)
            forget = getattr(self.handler, "forget_chat_settings", None)
            if forget is not None:
                forget(PLATFORM, msg.chat_id)
            spent = time.perf_counter() - t_start
            await deliver(self.sender, target, [OutgoingMessage(
                text, msg.chat_id, msg.thread_id, msg.message_id if not private else None,
                notice=True)])
            return spent
        me = asyncio.current_task()

        def answering() -> None:  # the answer is recorded: only finishing and sending are left
            if me is not None:
                self._delivering.add(me)

        try:
            if not msg.addressed:  # the manager may keep group context; it answers [] here
                with on_answering(answering):
                    replies = await self.handler.handle(msg, None)
                answering()
                spent = time.perf_counter() - t_start
                await deliver(self.sender, target, replies)
                return spent
            interval = self.stream_interval if private else self.group_stream_interval
            stream = TelegramStream(self.sender, target, interval)
            typing = typing_call(self.sender, target)
            async with self.typing.pending((target.chat_id, target.thread_id), typing):
                t_start = time.perf_counter()
                try:
                    with on_answering(answering):
                        replies = await self.handler.handle(msg, stream)
                    answering()
                finally:
                    spent = time.perf_counter() - t_start
                    await stream.close()
            calls = await deliver(self.sender, target, replies, stream)
        finally:
            if me is not None:
                self._delivering.discard(me)
        self.stats.turns += 1
        log.debug(  # the dialogue manager logs the one INFO line per turn
            "telegram turn chat=%s replies=%d calls=%d streamed_edits=%d manager_ms=%.1f",
            msg.chat_id,
            len(replies),
            calls,
            stream.edits,
            spent * 1000,
        )
        return spent

    async def _membership(self, user_id: str, active: bool) -> None:
        log.info("telegram user %s %s the bot", user_id, "restarted" if active else "blocked")
        if self.users is not None:
            await self.users.set_user_flags(PLATFORM, user_id, active=active)
