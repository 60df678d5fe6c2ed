"""Facts stated in Chinese ("我叫小明", "我养了一只猫叫咪咪", "我喜欢画画", "我住在上海").

Chinese has no spaces, so a name ends where punctuation, the end of the text or a word that
cannot be part of a name (我, 今年, 住在, 的 …) begins; Chinese given names are one to three
characters after a one- or two-character surname, so names are at most four characters (Latin
names such as "Zorblax2198" are taken whole). "我是…" is a name only when what follows looks
like one: jobs (我是老师) and descriptions (我是一个学生, 我是中国人) are not names.
"""

from __future__ import annotations

import re

from botcore.memory.fact_forms import (
    FACT_EVENT,
    FACT_HOME,
    FACT_JOB,
    FACT_LIKE,
    FACT_NAME,
    FACT_PET,
    FACT_PET_NAMED,
    ExtractedFact,
)

_H = "\u4e00-\u9fff"
_PUNCT = r"\s，,。.!！?？;；、:：~～)）…\"“”'"
_BOUND = (rf"(?=$|[{_PUNCT}]|我|你|他|她|它|今年|来自|住在|在|是|的|了|呢|啊|呀|哦|吧|和|也|，"
          r"|[0-9０-９])")
_NAME = rf"(?P<name>[A-Za-z][A-Za-z0-9_\-']{{0,30}}(?![A-Za-z0-9_\-'])|[{_H}]{{1,4}}?{_BOUND})"
_QUESTION = ("什么", "啥", "谁", "哪", "多少", "几")

PETS = ("小猫", "猫咪", "小狗", "狗狗", "仓鼠", "鹦鹉", "兔子", "小兔", "金鱼", "乌龟", "小鸟",
        "宠物", "猫", "狗", "鱼", "鸟")
"""Pet words, longest first (so 小猫 is not read as 小 + 猫)."""
_PET = "|".join(PETS)
_COUNT = r"(?:[一两二三四五几]?(?:只|条|个|头|匹))?"

_CALLED = re.compile(rf"(?:我叫|我的名字(?:是|叫)|叫我|我名叫)\s*{_NAME}")
_I_AM = re.compile(rf"(?:^|[{_PUNCT}]|，)\s*我是\s*{_NAME}")
_PET_HAVE = re.compile(
    rf"我(?:家)?(?:养了|养着|养|有|家有|也有|也养了)\s*{_COUNT}\s*(?P<pet>{_PET})"
    rf"(?:\s*[，,]?\s*(?:它|她|他)?(?:的名字)?(?:叫做|叫|名叫|名字叫|名字是)\s*{_NAME})?")
_PET_MY = re.compile(
    rf"我(?:的|家的|家|养的)\s*(?P<pet>{_PET})\s*(?:的名字|名字)?(?:叫做|叫|名叫|是)\s*{_NAME}")
_LIKE = re.compile(rf"我(?:很|非常|特别|最|超|真的|也|挺)?(?:喜欢|爱|热爱)(?P<thing>[^{_PUNCT}]{{1,30}})")
_HOME = re.compile(rf"我(?:现在)?(?:住在|生活在|家在)(?P<place>[^{_PUNCT}]{{1,20}})")
_JOBS = ("老师", "教师", "学生", "大学生", "中学生", "高中生", "初中生", "小学生", "研究生", "护士",
         "医生", "程序员", "工程师", "设计师", "作家", "厨师", "律师", "会计", "司机", "画家", "歌手",
         "警察", "科学家", "艺术家", "记者", "销售")
_JOB = re.compile(rf"我是(?:一名|一个|一位|个|名)?(?P<job>{'|'.join(sorted(_JOBS, key=len, reverse=True))})"
                  rf"(?![{_H}])")
_EVENT = re.compile(
    r"我(?P<when>明天|后天|下周|下星期|下个月|这周|周末|今晚|今天|马上)?(?:就)?(?:要|将)?有"
    r"(?:一个|一场|一次|个|场|次)?(?P<event>考试|面试|测验|约会|会议|旅行|生日|比赛|手术)")
_NOT_NAME_START = set("一个很在不来从说想真太这那你我他她它第好因为被要会能可刚已还也都就只有最挺非特超"
                      "多少男女学新")
_NOT_NAME_END = set("人师员者家生的了吗呢手工迷控子")


def _name(raw: str) -> str | None:
    """``raw`` when it can be a name (not a question word), else None."""
    name = raw.strip()
    if not name or name.startswith(_QUESTION):
        return None
    return name


def _looks_like_name(name: str) -> bool:
    """For "我是X": X is a name only if it is Latin, or two to four characters that don't start or
    end like a description (我是一个…, 我是中国人, 我是学生)."""
    if re.fullmatch(r"[A-Za-z][\w\-']*", name):
        return True
    return (2 <= len(name) <= 4 and name[0] not in _NOT_NAME_START
            and name[-1] not in _NOT_NAME_END and name not in _JOBS)


def extract_facts_zh(text: str) -> list[ExtractedFact]:
    """Facts stated in Chinese in ``text`` (may be empty), worded in Chinese."""
    out: list[ExtractedFact] = []
    m = _CALLED.search(text)
    name = _name(m.group("name")) if m else None
    if name is None:
        for m in _I_AM.finditer(text):
            candidate = _name(m.group("name"))
            if candidate and _looks_like_name(candidate):
                name = candidate
                break
    if name:
        out.append(ExtractedFact(FACT_NAME.render("zh", name=name), name=name))
    seen: set[tuple[str, str | None]] = set()
    for m in [*_PET_HAVE.finditer(text), *_PET_MY.finditer(text)]:
        pet_name = _name(m.group("name")) if m.group("name") else None
        if m.group("name") and pet_name is None:
            continue  # a question: 我的猫叫什么名字
        key = (m.group("pet"), pet_name)
        if key in seen or (pet_name is None and any(p == key[0] for p, _ in seen)):
            continue
        seen.add(key)
        out.append(ExtractedFact(FACT_PET_NAMED.render("zh", pet=m.group("pet"), name=pet_name)
                                 if pet_name else FACT_PET.render("zh", pet=m.group("pet"))))
    m = _JOB.search(text)
    if m:
        out.append(ExtractedFact(FACT_JOB.render("zh", job=m.group("job"))))
    for m in _LIKE.finditer(text):
        thing = m.group("thing").strip()
        if thing and not thing.startswith(("你", "您", "什么", "啥", "和你", "跟你")):
            out.append(ExtractedFact(FACT_LIKE.render("zh", thing=thing)))
    m = _HOME.search(text)
    if m and not m.group("place").startswith(("哪", "什么")):
        out.append(ExtractedFact(FACT_HOME.render("zh", place=m.group("place"))))
    m = _EVENT.search(text)
    if m:
        when = f"{m.group('when')}的" if m.group("when") else ""
        out.append(ExtractedFact(FACT_EVENT.render("zh", event=when + m.group("event"))))
    return out
