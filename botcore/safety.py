"""Safety around every skill: the model's safety head plus rules, on input and on output."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from botcore.i18n import Text, normalize_lang

SELF_HARM_RULES = re.compile(
    r"\b(kill myself|killing myself|end my life|suicid\w*|self[- ]?harm\w*|hurt myself|"
    r"want to die|don'?t want to (live|be alive)|no reason to live|cut myself)\b",
    re.IGNORECASE,
)
INJECTION_RULES = re.compile(
    r"(ignore (all |any |your |the )?(previous |prior |above )?(instructions|rules|prompt)|"
    r"(reveal|show|print|repeat|tell me) (me )?(your|the) (system )?(prompt|instructions|secret)|"
    r"you are now (?!a student)|disregard (your|all) (rules|instructions)|developer mode|jailbreak)",
    re.IGNORECASE,
)
SELF_HARM_RULES_ZH = re.compile(
    r"自杀|自残|轻生|寻死|割腕|想死(?!你|您|他|她|它|我了|人了)|不想活|活不下去|不想再活|活着没(?:有)?意(?:思|义)"
    r"|结束(?:我的|自己的)生命|了结自己|伤害自己|杀了我自己|跳楼(?!价|甩卖|大甩卖)|吃安眠药|一死了之|想消失|不如死了"
)
"""Chinese self-harm phrases (high precision: 想死你了 "miss you so much" is not one)."""
INJECTION_RULES_ZH = re.compile(
    r"(?:忽略|无视|忘记|忘掉|不要理会)(?:掉)?(?:你)?(?:之前|以上|上面|前面|先前|所有|全部|一切)?的?"
    r"(?:所有|全部)?的?(?:指令|指示|规则|提示词?|设定|约束|限制)"
    r"|(?:显示|告诉我|输出|打印|重复|泄露|透露|说出|给我看)(?:一下|出)?你的(?:系统)?(?:提示词|指令|提示|设定|秘密|规则)"
    r"|把你的(?:系统)?(?:提示词|指令|设定)(?:显示|告诉|输出|打印|发|说|给)"
    r"|你的系统提示|开发者模式|越狱模式|DAN模式|(?:扮演|假装(?:你)?是)一个没有(?:任何)?(?:限制|规则|约束)"
)
ABUSE_RULES_ZH = re.compile(
    r"傻逼|傻[bB]|煞笔|沙比|操你|草泥马|肏|你妈的?逼|你妈死|狗娘养|婊子|贱人|贱货|王八蛋|滚你妈"
    r"|去你妈|你(?:这个|真是个?|就是个?|是个?)?(?:白痴|智障|脑残|废物|蠢货|垃圾(?!分类|桶|邮件|短信|食品|站)|畜生|人渣)"
    r"|(?:你|您)(?:给我)?(?:去死|滚蛋|滚开)"
)
"""Clear Chinese insults aimed at someone (the head catches the rest)."""
MINOR_SEXUAL_RULES_ZH = re.compile(
    r"(?:儿童|小孩|幼女|幼童|未成年|萝莉|小学生|初中生|\d{1,2}岁).{0,12}(?:色情|裸照|裸体|性交|做爱|性行为|黄图)"
    r"|(?:色情|裸照|裸体|性交|做爱|性行为|黄图).{0,12}(?:儿童|小孩|幼女|幼童|未成年|萝莉|小学生|初中生)"
)
MINOR_SEXUAL_RULES = re.compile(
    r"\b(child|kid|minor|underage|teen|\d{1,2}[- ]?(yo|year[- ]old))\b.*\b(sex\w*|nude\w*|naked|porn\w*)\b"
    r"|\b(sex\w*|nude\w*|naked|porn\w*)\b.*\b(child|kid|minor|underage|teen)\b",
    re.IGNORECASE,
)


class Verdict(StrEnum):
    """What to do with a message."""

    OK = "ok"
    CRISIS = "crisis"
    ABUSE = "abuse"
    UNSAFE_SEXUAL = "unsafe_sexual"
    INJECTION = "injection"


@dataclass(frozen=True, slots=True)
class SafetyCheck:
    """The verdict and the evidence for it."""

    verdict: Verdict
    reason: str = ""


THRESHOLDS = {"self_harm": 0.5, "abuse": 0.5, "sexual": 0.6, "prompt_injection": 0.6}
"""The safety head is calibrated so 0.5 is its decision point (docs/model.md); sexual and
injection refusals ask for a little more certainty, since the rules catch the clear cases."""


def is_injection(text: str, head: Mapping[str, float] | None = None) -> bool:
    """True when ``text`` tries to instruct the model (rules, English and Chinese, or the head) —
    the same test as :func:`screen_input`'s, whatever else the text is flagged for."""
    return bool(INJECTION_RULES.search(text) or INJECTION_RULES_ZH.search(text)
                or (head or {}).get("prompt_injection", 0.0) >= THRESHOLDS["prompt_injection"])


def screen_input(text: str, head: Mapping[str, float]) -> SafetyCheck:
    """Combine rules (high precision, English and Chinese) with the safety head (recall)."""
    if (SELF_HARM_RULES.search(text) or SELF_HARM_RULES_ZH.search(text)
            or head.get("self_harm", 0.0) >= THRESHOLDS["self_harm"]):
        return SafetyCheck(Verdict.CRISIS, "self-harm")
    if MINOR_SEXUAL_RULES.search(text) or MINOR_SEXUAL_RULES_ZH.search(text):
        return SafetyCheck(Verdict.UNSAFE_SEXUAL, "sexual content involving minors")
    if head.get("sexual", 0.0) >= THRESHOLDS["sexual"]:
        return SafetyCheck(Verdict.UNSAFE_SEXUAL, "sexual content")
    if (INJECTION_RULES.search(text) or INJECTION_RULES_ZH.search(text)
            or head.get("prompt_injection", 0.0) >= THRESHOLDS["prompt_injection"]):
        return SafetyCheck(Verdict.INJECTION, "prompt injection")
    if ABUSE_RULES_ZH.search(text) or head.get("abuse", 0.0) >= THRESHOLDS["abuse"]:
        return SafetyCheck(Verdict.ABUSE, "abusive language")
    return SafetyCheck(Verdict.OK)


LEAK_REFUSAL = Text("Sorry, I can't share that.", "抱歉，这个我不能透露。")


def screen_output(reply: str, secrets: tuple[str, ...], lang: str | None = None) -> str:
    """Never let a reply carry a secret of the system prompt (canaries, private instructions)."""
    lowered = reply.lower()
    for secret in secrets:
        if secret and secret.lower() in lowered:
            return LEAK_REFUSAL.render(lang)
    return reply


def _fold(text: str) -> str:
    """Lower-case ``text`` character by character (same length, so indexes stay valid)."""
    return "".join(c if len(low := c.lower()) != 1 else low for c in text)


class StreamScreen:
    """Screens a reply while it streams, like :func:`screen_output` screens the final one.

    :meth:`visible` returns the part of the text so far that may be shown: everything except a
    tail that could be the start of a secret (held back until the next delta decides), or None
    once the text contains a secret — from then on nothing more is shown and the final reply is
    the refusal. So no delta ever shows a secret, whole or in part at its end.
    """

    def __init__(self, secrets: tuple[str, ...]) -> None:
        self._secrets = [_fold(s) for s in secrets if s]
        self.leaked = False

    def visible(self, text: str) -> str | None:
        """The showable prefix of ``text`` (None after a leak)."""
        if self.leaked:
            return None
        folded = _fold(text)
        if any(secret in folded for secret in self._secrets):
            self.leaked = True
            return None
        hold = 0
        for secret in self._secrets:
            for k in range(min(len(secret) - 1, len(folded)), hold, -1):
                if folded.endswith(secret[:k]):
                    hold = k
                    break
        return text[:len(text) - hold]


CRISIS_RESOURCES = Text(
    "If you are in danger or thinking about harming yourself, please reach out now: "
    "call your local emergency number, or find a helpline at https://findahelpline.com",
    "如果你有危险，或者正在想伤害自己，请现在就寻求帮助：拨打当地的紧急求助电话，"
    "或在 https://findahelpline.com 找到离你最近的心理援助热线。",
)
"""The default of ``BOTCORE_CRISIS_RESOURCES`` (``BOTCORE_CRISIS_RESOURCES_ZH`` for Chinese)."""
CRISIS_REPLY = Text(
    "I'm really glad you told me{who}. What you're feeling matters, and you don't have to "
    "face it alone. {resources}\n\nIf you'd like, tell me a bit more about what's going on — "
    "I'm here to listen.",
    "{who}，谢谢你愿意告诉我。你的感受很重要，你不必独自面对。{resources}\n\n"
    "如果你愿意，可以多跟我说说发生了什么——我在这里听你说。",
)


def crisis_reply(resources: str, name: str | None, lang: str | None = None,
                 resources_zh: str | None = None) -> str:
    """A careful answer for someone who may be in danger: warm, direct, with resources.

    ``resources`` is the operator's text (``BOTCORE_CRISIS_RESOURCES``); left at its default it
    is given in the user's language, and ``resources_zh`` replaces it for Chinese.
    """
    zh = normalize_lang(lang) == "zh"
    if zh and resources_zh:
        resources = resources_zh
    elif resources == CRISIS_RESOURCES.en:
        resources = CRISIS_RESOURCES.render(lang)
    who = (name or "") if zh else (f", {name}" if name else "")
    text = CRISIS_REPLY.render(lang, who=who, resources=resources)
    return text.removeprefix("，")


ABUSE_REPLY = Text(
    "I want to keep this conversation respectful. I'm happy to keep helping if we can talk "
    "without insults.",
    "我希望我们的对话能保持尊重。只要不带侮辱，我很乐意继续帮你。",
)
ABUSE_STRIKES = 3
ABUSE_WINDOW_S = 600.0
ABUSE_PAUSE = Text(
    "I'm going to step back from this conversation for about {m} minutes. When you're "
    "ready to talk respectfully, I'll be glad to help.",
    "我先暂停这段对话大约 {m} 分钟。等你准备好心平气和地聊，我很乐意再帮你。",
)
INJECTION_REPLY = Text(
    "I can't change or share my instructions, but I'm happy to help with something "
    "else — what would you like to talk about?",
    "我不能更改或透露我的指令，但很乐意帮你做别的事——你想聊点什么？",
)
UNSAFE_SEXUAL_REPLY = Text(
    "I can't help with that. Is there something else I can do for you?",
    "这个我帮不了你。还有什么别的我可以帮忙的吗？",
)
