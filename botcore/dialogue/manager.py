"""The dialogue manager: builds the turn's pipeline and keeps the API adapters, the CLI and tests
use (ARCHITECTURE §2).

A message runs through these stages (:mod:`botcore.dialogue.stages`), in order: addressed? →
busy notice → arrival order → admission (dedupe, claim, heartbeat) → rate limit → storage guard →
conversation lock → language → buttons → clean input → user & blocked → staff reply → commands →
record the message → human handoff → quiz → understand → remember → persist → safety → route →
recall → skill. Remember and persist act on the way back, once the answering stages are done.

Redis is a cache: when it is unreachable the turn goes on without it (SQL dedupes, the lock falls
back to this process). SQL is the record: its errors are retried for a while, then the user is
told to resend and the dedupe claim is released so a redelivery is answered.
"""

from __future__ import annotations

from botcore.admin.chat_commands import AdminContext, handle_admin_command
from botcore.config import Settings
from botcore.dialogue.command_router import CommandRouter
from botcore.dialogue.pipeline import Pipeline
from botcore.dialogue.protocols import ReplyStream
from botcore.dialogue.session import Session
from botcore.dialogue.stages.address import address
from botcore.dialogue.stages.admission import Admission
from botcore.dialogue.stages.busy import watch_busy
from botcore.dialogue.stages.buttons import Buttons
from botcore.dialogue.stages.clean import clean_input
from botcore.dialogue.stages.commands import Commands
from botcore.dialogue.stages.human import HumanHandoff
from botcore.dialogue.stages.language import keep_language
from botcore.dialogue.stages.lock import hold_conversation
from botcore.dialogue.stages.order import InOrder
from botcore.dialogue.stages.persist import persist
from botcore.dialogue.stages.quiz import QuizAnswer
from botcore.dialogue.stages.rate_limit import rate_limit
from botcore.dialogue.stages.recall import recall
from botcore.dialogue.stages.record import record_message
from botcore.dialogue.stages.remember import Remember
from botcore.dialogue.stages.route import Route
from botcore.dialogue.stages.safety import Safety
from botcore.dialogue.stages.skill import RunSkill
from botcore.dialogue.stages.staff import StaffReply
from botcore.dialogue.stages.storage import storage_guard
from botcore.dialogue.stages.understand import Understand
from botcore.dialogue.stages.user import known_user
from botcore.dialogue.turn import Turn
from botcore.faq.index import FaqIndex
from botcore.handoff import Handoff
from botcore.inference.base import ModelExecutor
from botcore.memory.base import ChatSettings, ShortTermMemory
from botcore.memory.stores import SqlTier
from botcore.messages import IncomingMessage, OutgoingMessage

BACKGROUND_CLOSE_S = 3.0
"""How long closing waits for background memory updates (facts, summaries)."""


class DialogueManager:
    """Implements :class:`botcore.dialogue.protocols.TurnHandler` for every adapter.

    Args:
        settings: the bot's settings.
        short_term: short-term memory (Redis or in-process), a cache.
        long_term: long-term memory (SQL), the record.
        executor: where the model runs.
        sql_retry_s: how long a SQL call is retried while the database is unavailable.
    """

    def __init__(self, settings: Settings, short_term: ShortTermMemory, long_term: SqlTier,
                 executor: ModelExecutor, *, sql_retry_s: float = 15.0) -> None:
        self.short = short_term
        self.sql = long_term
        self.executor = executor
        self.session = Session(settings, short_term, long_term, sql_retry_s=sql_retry_s)
        self.faq = FaqIndex(long_term, executor, threshold=settings.faq_threshold)
        self.handoff = Handoff(self.session)
        self.commands = CommandRouter(self.session, self.handoff, self.faq)
        self.order = InOrder()
        self.admission = Admission(self.handoff)
        self.pipeline = Pipeline(self.session, [
            address, watch_busy, self.order, self.admission, rate_limit, storage_guard,
            hold_conversation, keep_language, Buttons(self.commands), clean_input, known_user,
            StaffReply(self.handoff), Commands(self.commands), record_message,
            HumanHandoff(self.handoff), QuizAnswer(self.commands.quiz), Understand(executor),
            Remember(executor), persist, Safety(self.handoff), Route(self.faq), recall,
            RunSkill(executor, self.faq, self.handoff),
        ])

    @property
    def settings(self) -> Settings:
        """The bot's settings (the session's: replacing them here replaces them for every stage)."""
        return self.session.settings

    @settings.setter
    def settings(self, value: Settings) -> None:
        self.session.settings = value

    @property
    def instance(self) -> str:
        """This process's id in dedupe claims and its liveness key."""
        return self.admission.instance

    async def handle(self, message: IncomingMessage,
                     stream: ReplyStream | None = None) -> list[OutgoingMessage]:
        """Answer one message (see :class:`~botcore.dialogue.protocols.TurnHandler`)."""
        return await self.pipeline.run(Turn(message, stream))

    def cache_sizes(self) -> dict[str, int]:
        """Entries in this process's caches (all expire and are capped; for metrics and tests)."""
        return {**self.session.cache_sizes(), "order_locks": len(self.order)}

    async def aclose(self) -> None:
        """Stop the heartbeat; wait for background memory updates to finish (a few seconds at
        most, so a shutdown stays bounded; the rest are cancelled)."""
        self.admission.close()
        await self.session.close(BACKGROUND_CLOSE_S)

    async def admin(self, message: IncomingMessage, args: str) -> str:
        """``/admin …``: only for ``BOTCORE_ADMIN_IDS``; every use (refusals too) is audited."""
        s = self.session
        return await handle_admin_command(AdminContext(s.settings, s.long_term, s.short_term),
                                          message, args)

    def allowed_skills(self, cfg: ChatSettings) -> tuple[str, ...]:
        """Skills that may answer: ``BOTCORE_SKILLS``, narrowed by the chat's ``skills``."""
        return self.session.allowed_skills(cfg)

    def forget_chat_settings(self, platform: str, scope: str) -> None:
        """Drop this process's cached settings of one chat (after ``/settings`` changed them)."""
        self.session.forget_chat_settings(platform, scope)

    def forget_caches(self) -> None:
        """Drop this process's short-lived copies of users and recall (after /link, /forget…)."""
        self.session.forget_caches()

    async def forget_user(self, platform: str, user_id: str) -> dict[str, int]:
        """Erase a user everywhere: SQL rows and short-term keys (of every linked identity, and
        the cached turns of shared group conversations they spoke in). Returns counts."""
        return await self.session.forget_user(platform, user_id)
