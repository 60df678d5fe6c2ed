"""The labelled example: one text with labels for some of the tasks (the others are masked)."""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True, slots=True)
class Example:
    """One training text.

    Attributes:
        text: the message.
        skill: skill label, or None when this example does not teach routing.
        safety: the positive safety labels, or None when safety is not labelled.
        emotion: emotion label, or None.
        source: where it came from (``hand``, ``chitchat``, ``gsm8k``, ``davidson`` …).
        holdout: True for hand-written examples, which alone go to val/test.
        group: FAQ entry id for the contrastive (retrieval) task, or None.
        lang: ``en`` or ``zh``; each language is split (and reported) on its own.
    """

    text: str
    skill: str | None = None
    safety: frozenset[str] | None = None
    emotion: str | None = None
    source: str = "hand"
    holdout: bool = True
    group: str | None = None
    lang: str = "en"

    @property
    def stratum(self) -> str:
        """The split stratum: the task and label this example mainly teaches."""
        if self.skill:
            return f"skill:{self.skill}"
        if self.safety is not None:
            return "safety:" + (",".join(sorted(self.safety)) or "none")
        if self.emotion:
            return f"emotion:{self.emotion}"
        return "other"

    def merged(self, other: Example) -> Example:
        """This example with the labels ``other`` adds (this one wins on conflicts)."""
        return replace(
            self,
            skill=self.skill or other.skill,
            safety=self.safety if self.safety is not None else other.safety,
            emotion=self.emotion or other.emotion,
            group=self.group or other.group,
        )
