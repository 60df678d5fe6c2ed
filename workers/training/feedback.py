"""The learning loop: consented conversations with 👍/👎 become labelled training examples.

Only users who said ``/consent on`` are read: every query that touches message text joins on
``users.consent_training``; feedback of other users is only counted (``COUNT(*)``), never read.
A 👍 on a reply labels the user's message before it with the skill that answered (and, for an FAQ
answer, with the FAQ entry for the retrieval task); a 👎 says the answer was wrong but not what
was right, so it labels nothing and is reported. Texts are normalized and PII-redacted
(:func:`workers.training.preprocess.clean_text`); all examples go to the train split.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from collections import Counter
from dataclasses import asdict, dataclass, field

from sqlalchemy import and_, func, select
from sqlalchemy.orm import aliased

from botcore.config import SKILLS, Settings
from botcore.jsontypes import JsonObject
from botcore.memory import sql_models as m
from botcore.memory.stores import SqlAccess
from workers.training.examples import Example
from workers.training.preprocess import clean_text

log = logging.getLogger(__name__)


@dataclass(slots=True)
class FeedbackReport:
    """How many examples came from where, and what was left out (counts only)."""

    consenting_users: int = 0
    feedback_read: int = 0
    examples: int = 0
    by_skill: dict[str, int] = field(default_factory=dict)
    by_platform: dict[str, int] = field(default_factory=dict)
    faq_pairs: int = 0
    thumbs_down_unused: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    feedback_without_consent: int = 0

    def as_dict(self) -> JsonObject:
        """JSON-ready."""
        return asdict(self)


async def collect_feedback(store: SqlAccess) -> tuple[list[Example], FeedbackReport]:
    """Labelled examples from consented 👍 feedback, and the report (see the module docstring)."""
    report = FeedbackReport()
    reply = aliased(m.Message)
    asked = aliased(m.Message)
    async with store.session() as s:
        report.consenting_users = int((await s.execute(
            select(func.count()).select_from(m.User).where(m.User.consent_training.is_(True))
        )).scalar_one())
        report.feedback_without_consent = int((await s.execute(
            select(func.count()).select_from(m.Feedback).join(m.User, m.User.id == m.Feedback.user_id)
            .where(m.User.consent_training.is_not(True)))).scalar_one())
        rows = (await s.execute(
            select(m.Feedback.value, m.Feedback.user_id, reply.id, reply.conversation_id,
                   reply.skill, reply.meta, m.Conversation.platform)
            .join(m.User, and_(m.User.id == m.Feedback.user_id,
                               m.User.consent_training.is_(True)))
            .join(reply, reply.id == m.Feedback.message_id)
            .join(m.Conversation, m.Conversation.id == reply.conversation_id)
            .order_by(m.Feedback.id))).all()
        report.feedback_read = len(rows)
        examples: list[Example] = []
        skipped: Counter[str] = Counter()
        by_skill: Counter[str] = Counter()
        by_platform: Counter[str] = Counter()
        for value, user_id, reply_id, conversation_id, skill, meta, platform in rows:
            if value < 0:
                report.thumbs_down_unused += 1
                continue
            if skill not in SKILLS or (meta or {}).get("safety") or (meta or {}).get("error"):
                skipped["not a skill answer"] += 1
                continue
            text = (await s.execute(  # the same consenting user's message just before the reply
                select(asked.text)
                .join(m.User, and_(m.User.id == asked.user_id, m.User.consent_training.is_(True)))
                .where(asked.conversation_id == conversation_id, asked.role == "user",
                       asked.user_id == user_id, asked.id < reply_id)
                .order_by(asked.id.desc()).limit(1))).scalar_one_or_none()
            cleaned = clean_text(text or "")
            if not cleaned or cleaned.startswith("/"):
                skipped["no question before the reply"] += 1
                continue
            faq_id = (meta or {}).get("faq_id") if skill == "faq" else None
            examples.append(Example(cleaned, skill=skill, source="feedback", holdout=False,
                                    group=f"deployer:{faq_id}" if faq_id else None))
            by_skill[skill] += 1
            by_platform[platform] += 1
            report.faq_pairs += int(bool(faq_id))
    report.examples = len(examples)
    report.by_skill = dict(by_skill)
    report.by_platform = dict(by_platform)
    report.skipped = dict(skipped)
    log.info("feedback: %d examples from %d consenting users (%s)", report.examples,
             report.consenting_users, report.by_skill)
    return examples, report


def feedback_examples(settings: Settings) -> tuple[list[Example], FeedbackReport]:
    """:func:`collect_feedback` on the configured database, from synchronous code."""
    from botcore.memory.factory import open_long_term

    async def run() -> tuple[list[Example], FeedbackReport]:
        store = await open_long_term(settings)
        try:
            return await collect_feedback(store)
        finally:
            await store.aclose()

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, run()).result()  # type: ignore[arg-type]
