"""Unit conversions from a small exact table (no floating point, no extra dependency).

Each unit is a factor to its dimension's base unit (metre, gram, second, litre, square metre, cubic
metre); temperatures convert through kelvin. English and Chinese names both map to one unit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sympy

from botcore.i18n import Text
from botcore.tutoring.solver_numbers import exact, fmt
from botcore.tutoring.solver_types import Answer, Solution, SolverError, Step

R = sympy.Rational


@dataclass(frozen=True, slots=True)
class Unit:
    """One unit: its dimension, exact factor to the base unit, and its names."""

    key: str
    dimension: str
    factor: sympy.Rational
    label: Text
    names: tuple[str, ...]


def _u(key: str, dim: str, factor: sympy.Rational | int | str, en: str, zh: str,
       *names: str) -> Unit:
    return Unit(key, dim, R(factor), Text(en, zh), (key, *names))


UNITS: tuple[Unit, ...] = (
    _u("mm", "length", R(1, 1000), "mm", "毫米", "millimeter", "millimeters", "millimetre",
       "millimetres", "毫米"),
    _u("cm", "length", R(1, 100), "cm", "厘米", "centimeter", "centimeters", "centimetre",
       "centimetres", "厘米", "公分"),
    _u("dm", "length", R(1, 10), "dm", "分米", "decimeter", "decimeters", "分米"),
    _u("m", "length", 1, "m", "米", "meter", "meters", "metre", "metres", "米", "公尺"),
    _u("km", "length", 1000, "km", "千米", "kilometer", "kilometers", "kilometre", "kilometres",
       "千米", "公里"),
    _u("in", "length", R("0.0254"), "in", "英寸", "inch", "inches", "英寸"),
    _u("ft", "length", R("0.3048"), "ft", "英尺", "foot", "feet", "英尺"),
    _u("yd", "length", R("0.9144"), "yd", "码", "yard", "yards"),
    _u("mi", "length", R("1609.344"), "miles", "英里", "mile", "miles", "英里"),
    _u("mg", "mass", R(1, 1000), "mg", "毫克", "milligram", "milligrams", "毫克"),
    _u("g", "mass", 1, "g", "克", "gram", "grams", "克"),
    _u("kg", "mass", 1000, "kg", "千克", "kilogram", "kilograms", "kilo", "kilos", "千克", "公斤"),
    _u("t", "mass", 1_000_000, "t", "吨", "tonne", "tonnes", "ton", "tons", "吨"),
    _u("lb", "mass", R("453.59237"), "lb", "磅", "pound", "pounds", "lbs", "磅"),
    _u("oz", "mass", R("28.349523125"), "oz", "盎司", "ounce", "ounces", "盎司"),
    _u("jin", "mass", 500, "jin", "斤", "斤"),
    _u("s", "time", 1, "s", "秒", "second", "seconds", "sec", "secs", "秒", "秒钟"),
    _u("min", "time", 60, "min", "分钟", "minute", "minutes", "mins", "分钟"),
    _u("h", "time", 3600, "h", "小时", "hour", "hours", "hr", "hrs", "小时", "钟头"),
    _u("day", "time", 86400, "days", "天", "days", "天"),
    _u("week", "time", 604800, "weeks", "周", "weeks", "周", "星期"),
    _u("ml", "volume", R(1, 1000), "ml", "毫升", "milliliter", "milliliters", "millilitre",
       "millilitres", "mL", "毫升"),
    _u("l", "volume", 1, "L", "升", "liter", "liters", "litre", "litres", "L", "升", "公升"),
    _u("cm2", "area", R(1, 10000), "cm²", "平方厘米", "cm²", "cm^2", "square centimeters",
       "square centimetres", "平方厘米"),
    _u("m2", "area", 1, "m²", "平方米", "m²", "m^2", "square meters", "square metres", "平方米"),
    _u("km2", "area", 1_000_000, "km²", "平方千米", "km²", "km^2", "square kilometers",
       "square kilometres", "平方千米", "平方公里"),
    _u("ha", "area", 10000, "ha", "公顷", "hectare", "hectares", "公顷"),
    _u("c", "temperature", 1, "°C", "摄氏度", "°c", "celsius", "degrees celsius", "摄氏度", "℃"),
    _u("f", "temperature", 1, "°F", "华氏度", "°f", "fahrenheit", "degrees fahrenheit", "华氏度",
       "℉"),
    _u("k", "temperature", 1, "K", "开尔文", "kelvin", "开尔文"),
)
_BY_NAME = {name.lower(): u for u in UNITS for name in u.names}
_NAMES = sorted(_BY_NAME, key=len, reverse=True)
UNIT_RE = "(?:" + "|".join(
    re.escape(n) + (r"(?![a-z])" if n[-1].isascii() and n[-1].isalpha() else "") for n in _NAMES
) + ")"
_NUM = r"(\d+(?:\.\d+)?(?:/\d+)?)"
_PATTERNS = (
    re.compile(rf"{_NUM}\s*({UNIT_RE})\s*(?:=|to|into|in|is how many|are how many|equals? how many|"
               rf"as|等于|是|合|换算成|换算为|化成|转换成|折合)\s*(?:多少|几)?\s*(?:个)?\s*({UNIT_RE})"),
    re.compile(rf"how many\s+({UNIT_RE})\s+(?:are\s+|is\s+|make\s+|in\s+|are\s+in\s+|is\s+in\s+)*"
               rf"{_NUM}\s*({UNIT_RE})"),
    re.compile(rf"把\s*{_NUM}\s*({UNIT_RE})\s*(?:换算成|换算为|化成|转换成|变成)\s*({UNIT_RE})"),
)

CONVERT = Text("1 {a} = {f} {b}", "1{a} = {f}{b}")
MULTIPLY = Text("{x} {a} = {x} × {f} {b} = {r} {b}", "{x}{a} = {x} × {f}{b} = {r}{b}")
TO_KELVIN = Text("{x} {a} = {r} K", "{x}{a} = {r}K")
FROM_KELVIN = Text("{x} K = {r} {b}", "{x}K = {r}{b}")
C_TO_F = Text("°F = °C × 9/5 + 32: {x} × 9/5 + 32 = {r}",
              "华氏度 = 摄氏度 × 9/5 + 32：{x} × 9/5 + 32 = {r}")
F_TO_C = Text("°C = (°F - 32) × 5/9: ({x} - 32) × 5/9 = {r}",
              "摄氏度 = (华氏度 - 32) × 5/9：({x} - 32) × 5/9 = {r}")


def lookup(name: str) -> Unit | None:
    """The unit called ``name`` (English or Chinese, any case), or None."""
    return _BY_NAME.get(name.strip().lower())


def _to_kelvin(value: sympy.Expr, unit: Unit) -> sympy.Expr:
    return {"c": value + R("273.15"), "f": (value - 32) * R(5, 9) + R("273.15"),
            "k": value}[unit.key]


def _from_kelvin(value: sympy.Expr, unit: Unit) -> sympy.Expr:
    return {"c": value - R("273.15"), "f": (value - R("273.15")) * R(9, 5) + 32,
            "k": value}[unit.key]


def convert(amount: sympy.Rational, source: Unit, target: Unit) -> Solution:
    """Convert exactly with steps; raises :class:`SolverError` across dimensions."""
    if source.dimension != target.dimension:
        raise SolverError(f"cannot convert {source.key} to {target.key}")
    setup = f"{fmt(amount, decimal=True)} {source.key} → {target.key}"
    if source.dimension == "temperature":
        if {source.key, target.key} == {"c", "f"}:
            if source.key == "c":
                r = amount * R(9, 5) + 32
                steps: tuple[Step, ...] = (Step(C_TO_F, {"x": amount, "r": r}, r),)
            else:
                r = (amount - 32) * R(5, 9)
                steps = (Step(F_TO_C, {"x": amount, "r": r}, r),)
        else:
            k = _to_kelvin(amount, source)
            r = _from_kelvin(k, target)
            steps = (Step(TO_KELVIN, {"x": amount, "a": source.label, "r": k}, k),
                     Step(FROM_KELVIN, {"x": k, "b": target.label, "r": r}, r))
        return Solution("units", setup, steps, (Answer(r, unit=target.label),), (amount,),
                        decimal=True)
    factor = source.factor / target.factor
    r = amount * factor
    steps = (Step(CONVERT, {"a": source.label, "f": factor, "b": target.label}, factor),
             Step(MULTIPLY, {"x": amount, "a": source.label, "f": factor, "b": target.label,
                             "r": r}, r))
    return Solution("units", setup, steps, (Answer(r, unit=target.label),), (amount,),
                    decimal=True)


def solve_units(text: str) -> Solution | None:
    """A conversion question (``5 km to m``, ``how many cm in 2 m``, ``5千米等于多少米``)."""
    for i, pattern in enumerate(_PATTERNS):
        m = pattern.search(text)
        if m is None:
            continue
        if i == 1:
            target, amount, source = m.group(1), m.group(2), m.group(3)
        else:
            amount, source, target = m.group(1), m.group(2), m.group(3)
        a, b = lookup(source), lookup(target)
        if a is None or b is None or a.dimension != b.dimension or a == b:
            continue
        return convert(exact(amount), a, b)
    return None
