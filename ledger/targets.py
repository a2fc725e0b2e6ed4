"""Quantitative targets in plan prose: ``“十五五”期间累计开展补贴性职业技能培训50万人次以上``.

The rules, as a reader of these documents applies them:

* **What is a target.** An Arabic number followed by one of the measures 人次, 人, 个,
  家, 户, 元 or %, optionally scaled by 万 / 亿 (``10亿元`` is 1,000,000,000 元; the
  ``text`` keeps the printed form). A bare planned quantity (``新认证1万个家庭农牧场``) is
  a target too. Numbers in Chinese numerals (``一年以上``) are never targets: plans
  write their targets in Arabic digits.
* **What is not.** Policy parameters and conditions:
  a time span (``2年``, ``6个月``: 年/月 are not measures, and ``个`` before 月 / 工作日
  / 百分点 is a time or a rate change, not a count); a clause that states a condition
  (it starts with ``对`` — ``对带动就业3人以上…的`` — or the number is followed by
  ``的``: ``留用率达到50%以上的单位``); a rate or amount that sets a standard
  (``减按90%``, ``上浮50%``, ``…标准的70%``, ``补贴标准提高到100%``); an amount that is
  given (``给予2万元…补贴``, ``…元/人``) or a baseline (``在现有3万人基础上``).
* **Comparator.** ``左右`` → ``~`` and it wins over anything else (``控制在5.7%左右``);
  ``以上``/不少于/至少/不低于/达到/提高到/突破/超过 → ``>=``; ``以内``/以下/控制在/不超过
  → ``<=``; a bare quantity → ``>=``.
* **Period.** The nearest period expression before the number in the same sentence:
  ``“十五五”期间`` → 2026-01-01..2030-12-31 (any 十N五), ``2026—2030年``, ``到2025年底``
  (no start, ends 2025-12-31), ``2025年`` (that year). A target with none takes the
  plan's horizon (the span of its plan-level targets), if known.
* **Per year or total.** ``累计`` → total; ``每年``/``年均`` → per year; a rate (%) is per
  year (a rate is measured each year and cannot be summed); a single calendar year is per
  year; anything else (a multi-year span, a level to reach ``到…底``) is total.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from ledger.importer.model import ParsedTarget, TargetPeriod
from ledger.numerals import chinese_numeral

_NUMBER = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)(万亿|万|亿)?(人次|人|个|家|户|元|%)")
_SCALE = {None: 1, "万": 10_000, "亿": 100_000_000, "万亿": 1_000_000_000_000}
_NOT_A_COUNT_AFTER_GE = ("月", "工作日", "百分点", "小时", "季度", "星期", "年")

_AT_LEAST_AFTER = ("及以上", "以上")
_AT_MOST_AFTER = ("以内", "以下")
_AT_LEAST_BEFORE = (
    "不少于",
    "至少",
    "不低于",
    "达到",
    "提高到",
    "提高至",
    "突破",
    "超过",
    "增加到",
    "增长到",
    "增至",
    "扩大到",
)
_AT_MOST_BEFORE = ("控制在", "不超过", "不高于", "低于")
_COMPARATOR_WORDS = sorted(
    (*_AT_LEAST_BEFORE, *_AT_MOST_BEFORE, "力争", "预期目标", "目标为", "目标"),
    key=len,
    reverse=True,
)
#: Words before a number that make it a parameter of a policy, not a goal.
_PARAMETER_CUES = ("减按", "上浮", "下浮", "标准", "给予", "现有", "基础上", "比例为", "按照")
#: Words after an amount that make it a subsidy, not a goal.
_SUBSIDY_NOUNS = ("补贴", "补助", "奖励", "奖补", "资助")
_LEADING_VERBS = ("组织开展", "开展", "发放", "挖掘", "实现", "完成", "扩大")

_FIVE_YEAR = re.compile(r"“?十([一二三四五六七八九])五”?(?:期间|时期)?")
_YEAR_RANGE = re.compile(r"(\d{4})[—\-–~～至到](\d{4})年")
_BY_YEAR = re.compile(r"(?:到|至)(\d{4})年(?:底|末)?")
_YEAR = re.compile(r"(\d{4})年(?:度)?")
_PERIOD_WORDS = re.compile(
    r"“?十[一二三四五六七八九]五”?(?:期间|时期)?|\d{4}[—\-–~～至到]\d{4}年|(?:到|至)\d{4}年(?:底|末)?"
    r"|\d{4}年(?:度)?|每年|年均|全年|累计"
)
_SENTENCE = re.compile(r"[^。；！？]+[。；！？]?")
_CLAUSE_BREAK = "，；：。"


@dataclass(frozen=True)
class _Span:
    start: str | None
    end: str | None
    years: int | None  # number of calendar years covered, None when open-ended


def extract_targets(text: str, horizon: TargetPeriod | None = None) -> tuple[ParsedTarget, ...]:
    """Every quantitative target in ``text`` (normalised text: see ``importer.text``)."""
    found: list[ParsedTarget] = []
    for sentence_match in _SENTENCE.finditer(text):
        found.extend(_targets_in_sentence(sentence_match.group(), horizon))
    return tuple(found)


def horizon_of(targets: tuple[ParsedTarget, ...]) -> TargetPeriod | None:
    """The span the plan-level targets cover, which task targets without a period inherit."""
    starts = [t.period.from_ for t in targets if t.period.from_]
    ends = [t.period.to for t in targets if t.period.to]
    if not starts and not ends:
        return None
    return TargetPeriod(min(starts) if starts else None, max(ends) if ends else None, "total")


def _targets_in_sentence(sentence: str, horizon: TargetPeriod | None) -> list[ParsedTarget]:
    result: list[ParsedTarget] = []
    previous_end = 0
    for match in _NUMBER.finditer(sentence):
        number, scale, measure = match.groups()
        after = sentence[match.end() :]
        if measure == "个" and after.startswith(_NOT_A_COUNT_AFTER_GE):
            continue
        clause_start = max(previous_end, _last_break(sentence, match.start()))
        prefix = sentence[clause_start : match.start()].lstrip("、，；： ")
        comparator_after, after_rest = _comparator_after(after)
        suffix = _suffix_noun(after_rest)
        if _is_parameter(sentence, match.start(), prefix, after, after_rest, suffix, measure):
            previous_end = match.end()
            continue
        comparator = _comparator(prefix, comparator_after)
        value = Decimal(number) * _SCALE[scale]
        clause = sentence[_last_break(sentence, match.start()) : match.start()]
        period = _period(sentence[: match.start()], clause, measure, horizon)
        indicator = _indicator(prefix, suffix if measure in ("个", "家") else "")
        end = match.end() + len(comparator_after)
        if measure in ("个", "家"):
            end += len(suffix)
        printed = sentence[clause_start:end].lstrip("、，；： ")
        result.append(
            ParsedTarget(
                indicator=indicator,
                value=int(value) if value == value.to_integral_value() else float(value),
                measure=measure,
                comparator=comparator,
                period=period,
                text=printed,
            )
        )
        previous_end = end
    return result


def _last_break(sentence: str, before: int) -> int:
    positions = [sentence.rfind(ch, 0, before) for ch in _CLAUSE_BREAK]
    return max(positions) + 1 if max(positions) >= 0 else 0


def _comparator_after(after: str) -> tuple[str, str]:
    for word in ("左右", *_AT_LEAST_AFTER, *_AT_MOST_AFTER):
        if after.startswith(word):
            return word, after[len(word) :]
    return "", after


def _suffix_noun(after: str) -> str:
    """The noun a classifier counts: ``1万个家庭农牧场`` → ``家庭农牧场``."""
    match = re.match(r"[^，。；、：（）]*", after)
    noun = match.group() if match else ""
    for stop in ("以上", "左右", "以内", "以下"):
        cut = noun.find(stop)
        if cut >= 0:
            noun = noun[:cut]
    return noun


def _is_parameter(
    sentence: str,
    position: int,
    prefix: str,
    after: str,
    after_rest: str,
    suffix: str,
    measure: str,
) -> bool:
    clause = sentence[_last_break(sentence, position) : position]
    if clause.lstrip("、").startswith("对"):
        return True  # 对……的: a condition of eligibility
    if after_rest.startswith("的"):
        return True  # 50%以上的单位, 2万元的创业补贴: a condition or an amount given
    if any(cue in prefix for cue in _PARAMETER_CUES):
        return True
    if measure == "元" and (after.startswith("/") or any(n in suffix for n in _SUBSIDY_NOUNS)):
        return True
    return after.startswith("/")


def _comparator(prefix: str, after_word: str) -> str:
    if after_word == "左右":
        return "~"
    if after_word in _AT_LEAST_AFTER:
        return ">="
    if after_word in _AT_MOST_AFTER:
        return "<="
    # The comparator word nearest the number decides; 不低于 is not 低于, so at equal
    # ends the longer word wins.
    best: tuple[int, int, str] | None = None
    for words, comparator in ((_AT_LEAST_BEFORE, ">="), (_AT_MOST_BEFORE, "<=")):
        for word in words:
            at = prefix.rfind(word)
            if at >= 0:
                candidate = (at + len(word), len(word), comparator)
                best = candidate if best is None or candidate > best else best
    return best[2] if best is not None else ">="


def _indicator(prefix: str, noun: str) -> str:
    text = re.sub(r"（[^（）]*）", "", _PERIOD_WORDS.sub("", prefix))
    for word in _COMPARATOR_WORDS:
        text = text.replace(word, "")
    text = text.strip("，、：；")
    if noun:
        # Verb + counted noun: keep the verb, drop what precedes it in a list (``商圈等``).
        text = re.split(r"[、等]", text)[-1] if text else text
        return (text + noun).strip("的")
    text = text.rstrip("至为在")
    for verb in _LEADING_VERBS:
        if text.startswith(verb) and len(text) > len(verb):
            text = text[len(verb) :]
            break
    return text


def _period(before: str, clause: str, measure: str, horizon: TargetPeriod | None) -> TargetPeriod:
    """The span comes from the sentence, per year / total from the target's own clause
    (``累计城镇新增就业…，城镇调查失业率…``: 累计 binds the first target only)."""
    span = _nearest_span(before)
    if span is None and horizon is not None:
        span = _Span(horizon.from_, horizon.to, _years(horizon.from_, horizon.to))
    if span is None:
        span = _Span(None, None, None)
    if "累计" in clause and measure != "%":
        per = "total"
    elif any(w in clause for w in ("每年", "年均", "全年")) or measure == "%" or span.years == 1:
        per = "year"
    else:
        per = "total"
    return TargetPeriod(span.start, span.end, per)  # type: ignore[arg-type]


def _nearest_span(before: str) -> _Span | None:
    candidates: list[tuple[int, _Span]] = []
    for m in _FIVE_YEAR.finditer(before):
        # The N-th five-year plan (十N五) starts in 1951 + 5N, from the tenth on:
        # 十一五 → 2006, 十五五 → 2026.
        first = 1951 + 5 * chinese_numeral("十" + m.group(1))
        candidates.append((m.start(), _Span(f"{first}-01-01", f"{first + 4}-12-31", 5)))
    for m in _YEAR_RANGE.finditer(before):
        a, b = int(m.group(1)), int(m.group(2))
        candidates.append((m.start(), _Span(f"{a}-01-01", f"{b}-12-31", b - a + 1)))
    taken = [(m.start(), m.end()) for m in _YEAR_RANGE.finditer(before)]
    for m in _BY_YEAR.finditer(before):
        taken.append((m.start(), m.end()))
        candidates.append((m.start(), _Span(None, f"{m.group(1)}-12-31", None)))
    for m in _YEAR.finditer(before):
        if any(s <= m.start() < e for s, e in taken):
            continue
        year = int(m.group(1))
        candidates.append((m.start(), _Span(f"{year}-01-01", f"{year}-12-31", 1)))
    if not candidates:
        return None
    return max(candidates, key=lambda c: c[0])[1]


def _years(start: str | None, end: str | None) -> int | None:
    if not start or not end:
        return None
    return int(end[:4]) - int(start[:4]) + 1
