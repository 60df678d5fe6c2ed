"""Numbers for the solver: Chinese numerals to digits, exact parsing, and display.

Every value the solver handles is an exact sympy number (``Rational`` for what the user typed, so
``0.1 + 0.2`` is exactly ``3/10``); :func:`fmt` shows it as the user would write it, and
:func:`numbers_in` reads the numbers back out of any text (the model's, for the number check).
"""

from __future__ import annotations

import re

import sympy

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
              "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_CN_BIG = {"万": 10_000, "亿": 100_000_000}
_CN_CHARS = "零〇一二两三四五六七八九十百千万亿"
_CN_NUM = f"[{_CN_CHARS}]+(?:点[{_CN_CHARS}]+)?"
# a numeral must hold a digit (or start with 十): "千米" and "百分" alone are not numbers
_CN_RUN = re.compile(rf"(?<![\d.])(?=[{_CN_CHARS}]*[零〇一二两三四五六七八九]|十){_CN_NUM}")
_NOT_NUMERAL = re.compile(r"(?<![\d一二两三四五六七八九十百千万])"
                          r"一(?=[共起样下些直定般切同件辆本台位条种家所座列次个])"
                          r"|(?<=[统万唯第])一|[一两](?=个?半)")
_CN_FRACTION = re.compile(rf"(\d+(?:\.\d+)?|{_CN_NUM})分之(\d+(?:\.\d+)?|{_CN_NUM})")
_CN_PERCENT = re.compile(rf"百分之(\d+(?:\.\d+)?|{_CN_NUM})")


def cn_to_int(text: str) -> int:
    """``"三千零五"`` → 3005, ``"十五"`` → 15, ``"二零二四"`` → 2024 (digits read one by one)."""
    if all(ch in _CN_DIGITS for ch in text):
        return int("".join(str(_CN_DIGITS[ch]) for ch in text))
    total, section, digit = 0, 0, 0
    for ch in text:
        if ch in _CN_DIGITS:
            digit = _CN_DIGITS[ch]
        elif ch in _CN_UNITS:
            section += (digit or 1) * _CN_UNITS[ch]
            digit = 0
        elif ch in _CN_BIG:
            total = (total + section + digit) * _CN_BIG[ch]
            section, digit = 0, 0
    return total + section + digit


def cn_to_number(text: str) -> str:
    """A Chinese numeral (``"三点五"``) as a decimal string (``"3.5"``); digits pass through."""
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return text
    whole, _, frac = text.partition("点")
    out = str(cn_to_int(whole)) if whole else "0"
    if frac:
        out += "." + "".join(str(_CN_DIGITS.get(ch, 0)) for ch in frac)
    return out


def normalize_chinese_numbers(text: str) -> str:
    """Chinese numerals, fractions and percentages → digits: ``"三分之二"`` → ``"(2/3)"``,
    ``"百分之十五"`` → ``"15%"``, ``"两个"`` → ``"2个"``. Words such as 一共 and 千米 stay."""
    text = _CN_PERCENT.sub(lambda m: cn_to_number(m.group(1)) + "%", text)
    text = _CN_FRACTION.sub(
        lambda m: f"({cn_to_number(m.group(2))}/{cn_to_number(m.group(1))})", text)
    keep: list[str] = []

    def hide(m: re.Match[str]) -> str:
        keep.append(m.group(0))
        return f"\x00{len(keep) - 1}\x00"

    text = _NOT_NUMERAL.sub(hide, text)
    text = _CN_RUN.sub(lambda m: cn_to_number(m.group(0)), text)
    return re.sub(r"\x00(\d+)\x00", lambda m: keep[int(m.group(1))], text)


def exact(text: str) -> sympy.Rational:
    """An exact number from ``"12"``, ``"0.15"``, ``"1,200"`` or ``"3/4"``."""
    text = text.replace(",", "").replace(" ", "")
    if "/" in text:
        num, den = text.split("/", 1)
        return sympy.Rational(sympy.Rational(num), sympy.Rational(den))
    return sympy.Rational(text)


def terminates(value: sympy.Rational) -> bool:
    """True when the rational has a finite decimal expansion (denominator 2^a·5^b)."""
    q = int(value.q)
    for p in (2, 5):
        while q % p == 0:
            q //= p
    return q == 1


def decimal_str(value: sympy.Rational) -> str:
    """A terminating rational as an exact decimal (``5/4`` → ``"1.25"``)."""
    sign = "-" if value < 0 else ""
    value = abs(value)
    whole, rest = divmod(int(value.p), int(value.q))
    digits = ""
    while rest:
        rest *= 10
        d, rest = divmod(rest, int(value.q))
        digits += str(d)
    return f"{sign}{whole}" + (f".{digits}" if digits else "")


def approx(value: sympy.Expr, digits: int = 6) -> str:
    """A rounded decimal for an irrational or repeating value (``"0.333333"``)."""
    text = f"{float(sympy.N(value, 15)):.{digits}f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def is_exact_number(value: object) -> bool:
    """A finite real sympy number."""
    return isinstance(value, sympy.Expr) and bool(value.is_number) and bool(value.is_real) \
        and bool(value.is_finite)


def fmt(value: sympy.Expr, *, decimal: bool = False) -> str:
    """Show an exact value: ``36``, ``3/4`` (or ``0.75`` with ``decimal``), ``2√3``."""
    if isinstance(value, sympy.Integer):
        return str(int(value))
    if isinstance(value, sympy.Rational):
        if decimal and terminates(value):
            return decimal_str(value)
        return f"{value.p}/{value.q}"
    text = sympy.sstr(value).replace("**", "^")
    text = re.sub(r"sqrt\((\d+)\)", r"√\1", text)
    text = re.sub(r"(\d+)\^\(1/3\)", r"∛\1", text)
    return re.sub(r"(\d)\*(?=[√∛])", r"\1", text).replace("*", "×")


def fmt_answer(value: sympy.Expr, *, decimal: bool = False) -> str:
    """The final answer in every helpful form: ``5/4 = 1 1/4 = 1.25``, ``1/3 ≈ 0.333333``."""
    if isinstance(value, sympy.Integer):
        return str(int(value))
    if isinstance(value, sympy.Rational):
        forms = [decimal_str(value)] if decimal and terminates(value) else [fmt(value)]
        if not decimal and abs(value) > 1:
            whole = int(abs(value.p) // value.q)
            rest = sympy.Rational(abs(value.p) % value.q, value.q)
            forms.append(f"{'-' if value < 0 else ''}{whole} {rest.p}/{rest.q}")
        if terminates(value):
            if not decimal:
                forms.append(decimal_str(value))
            return " = ".join(forms)
        return f"{' = '.join(forms)} ≈ {approx(value)}"
    return f"{fmt(value)} ≈ {approx(value)}"


_NUMBER = re.compile(
    r"(?:(?<=^)|(?<=[\s(=:：,，（]))-(?=\d)"  # a sign only where no operand precedes it
    r"|\d+ \d+/\d+(?![\d.])|\d{1,3}(?:,\d{3})+(?:\.\d+)?(?![\d,])|\d+(?:\.\d+)?(?:/\d+(?:\.\d+)?)?")
_LIST_MARK = re.compile(r"(?m)^\s*\d{1,2}[.)、]\s|\bstep\s+\d{1,2}\b|第\s*\d{1,2}\s*步",
                        re.IGNORECASE)


def numbers_in(text: str, *, skip_list_marks: bool = True) -> list[sympy.Rational]:
    """Every number written in ``text`` (``-3``, ``1,200``, ``0.5``, ``3/4``), in order.

    Chinese numerals count too; list markers (``1.``, ``Step 2``, ``第2步``) do not.
    """
    text = normalize_chinese_numbers(text)
    if skip_list_marks:
        text = _LIST_MARK.sub(" ", text)
    out: list[sympy.Rational] = []
    sign_end = -1
    for m in _NUMBER.finditer(text):
        token = m.group(0)
        if token == "-":
            sign_end = m.end()
            continue
        try:
            whole, _, frac = token.rpartition(" ")
            value = exact(frac) + (exact(whole) if whole else 0)
        except (ValueError, ZeroDivisionError, TypeError):
            continue
        out.append(-value if m.start() == sign_end else value)
    return out
