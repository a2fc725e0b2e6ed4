"""From the bytes an office has to text the parser can read.

Plans arrive as whatever the office saved: UTF-8 (with or without a BOM) from a web
page, GB18030 from an older Windows tool, PDF-extracted text with a hard line break
every 25 characters and a blank line after each, or a Traditional-character copy
re-posted elsewhere. None of that is meaning, so it is removed here once, and the
parser sees one spelling of every bracket, colon and character.

Normalising never changes what a reader would read: full-width and half-width
punctuation, spaces inside Chinese text (``2025 年 2 月`` is ``2025年2月``) and
Traditional characters are spelling, not content.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from ledger.errors import PlanFormatError

# --- decoding -----------------------------------------------------------------------

#: Share of characters that must be printable (or ordinary whitespace) for bytes to
#: count as a text document; a decoded binary falls far below it.
_MIN_PRINTABLE = 0.95

#: The largest plan document accepted, by ``taskledger import-plan`` and ``POST
#: /api/v1/plans`` alike (the seed plans are 20-40 KB; a plan of 2 MiB is a mistake).
MAX_PLAN_BYTES = 2 * 1024 * 1024


def _character_class(codepoints: Any) -> str:
    """A regular-expression class matching exactly ``codepoints`` (ascending), as ranges."""
    ranges: list[list[int]] = []
    for point in codepoints:
        if ranges and ranges[-1][1] == point - 1:
            ranges[-1][1] = point
        else:
            ranges.append([point, point])
    return "[" + "".join(
        re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}"
        for a, b in ranges
    ) + "]"


# Planes where format characters live: the BMP, a few scripts' number signs and
# shorthand controls, and the tag characters of plane 14.
_FORMAT_PLANES = (range(0x10000), range(0x110B0, 0x110D0), range(0x13430, 0x13460),
                  range(0x1BCA0, 0x1BCA4), range(0x1D173, 0x1D17B), range(0xE0000, 0xE0080))
#: Characters that are not text to read: format characters (zero-width spaces and
#: joiners, the byte order mark, soft hyphens, bidirectional controls, which would
#: reorder a task's wording in a briefing) and lone surrogates. Web pages and PDF
#: extraction leave them in published plans; they are removed, never a reason to refuse.
_FORMAT = re.compile(_character_class(
    point for plane in _FORMAT_PLANES for point in plane
    if unicodedata.category(chr(point)) in ("Cf", "Cs")
))
#: Controls that are not whitespace (NUL, escape, DEL, C1): a few are debris and are
#: removed; a document full of them is binary and refused (see decode_document).
_CONTROL = re.compile(_character_class(
    point for point in range(0xA0) if unicodedata.category(chr(point)) == "Cc"
    and not chr(point).isspace()
))


def strip_invisible(text: str) -> str:
    """``text`` without format characters, lone surrogates and non-whitespace controls."""
    return _CONTROL.sub("", _FORMAT.sub("", text))


def decode_document(data: bytes) -> str:
    """Decode a plan file: UTF-8 (BOM or not), else GB18030; refuse empty or binary input.

    GB18030 is a superset of GBK and GB2312, so one fallback covers the older encodings
    too. Line endings become ``\\n``; invisible characters (see :func:`strip_invisible`)
    are removed. The text is otherwise returned as written (see :func:`normalise` for the
    parser's spelling).
    """
    if len(data) > MAX_PLAN_BYTES:
        raise PlanFormatError(f"the plan file is larger than {MAX_PLAN_BYTES:,} bytes (2 MiB)")
    if not data or not data.strip():
        raise PlanFormatError("the plan file is empty")
    text: str | None = None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    if text is None:
        if b"\x00" in data:
            raise PlanFormatError("the plan file is binary, not text (it contains NUL bytes)")
        raise PlanFormatError("the plan file is neither UTF-8 nor GB18030 text")
    text = _FORMAT.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    if not text.strip():
        raise PlanFormatError("the plan file is empty")
    # Controls count against the document here (a binary decodes to many), and only
    # then are the few left in a real text removed.
    visible = [c for c in text if not c.isspace()]
    printable = sum(1 for c in visible if c.isprintable() and unicodedata.category(c) != "Co")
    if printable / len(visible) < _MIN_PRINTABLE:
        raise PlanFormatError("the plan file is binary, not text")
    text = _CONTROL.sub("", text)
    if not text.strip():
        raise PlanFormatError("the plan file is empty")
    return text


# --- Traditional to Simplified ------------------------------------------------------

# One character to one character, for what occurs in plans: unit names, labels,
# headings and the common words of policy prose. Characters whose simplification depends
# on the word (著, 係, 乾, 台) are left out on purpose: a wrong guess would corrupt a
# unit name, a missing one only leaves a character for the registry warning to show.
_TRADITIONAL = (
    "責责單单廳厅會会員员辦办財财發发農农衛卫總总團团婦妇聯联殘残業业務务資资險险穩稳"
    "崗岗擴扩質质實实關关於于號号區区黨党組组織织編编製制網网內内稅税國国監监銀银級级"
    "門门導导領领勞劳動动護护進进職职負负時时經经濟济產产鏈链頭头牽牵協协調调報报創创"
    "貸贷億亿萬万額额數数據据場场環环鄉乡鎮镇縣县設设計计劃划統统與与為为對对應应這这"
    "個个戶户們们來来間间問问題题見见習习學学歲岁齡龄養养醫医藥药療疗隊队軍军體体標标"
    "準准費费補补貼贴獎奖勵励訓训練练記记錄录認认證证論论議议規规範范線线條条廣广東东"
    "電电話话車车運运輸输選选擇择達达邊边遠远還还過过連连週周遊游溫温當当從从後后審审"
    "請请結结際际貫贯徹彻屆届屬属歸归類类項项順顺須须頒颁預预願愿風风飛飞點点齊齐開开"
    "陽阳階阶雙双離离難难靈灵餘余館馆驗验黃黄勢势參参變变啟启圍围圖图壓压壯壮處处備备"
    "奮奋寬宽將将專专層层帶带幫帮幹干廠厂張张強强復复徵征態态戰战採采換换擔担斷断書书"
    "極极構构樣样機机權权歷历氣气決决沒没況况測测滿满無无營营爭争獲获現现畢毕盤盘眾众"
    "確确礎础種种積积競竞節节簡简約约紅红紀纪納纳細细終终絡络綜综維维緊紧績绩繳缴興兴"
    "舉举藝艺蘇苏蘭兰術术訂订評评試试說说課课諮咨識识豐丰貧贫賽赛踐践輔辅轉转釋释針针"
    "鍵键長长陸陆雲云蒙蒙鄂鄂爾尔齊齐倫伦貝贝紹绍鞏巩淨净綠绿態态遞递躍跃優优質质團团"
    "縮缩擁拥顯显證证傳传擬拟佈布屬属濟济準准構构補补嚴严憑凭廢废彙汇匯汇賦赋惠惠歡欢"
    "務务層层讓让勤勤奪夺嶺岭築筑橋桥瀋沈漢汉災灾鑒鉴紐纽鬥斗龍龙滬沪粵粤蘇苏閩闽貴贵"
    "陝陕隴陇寧宁疆疆遼辽吉吉黑黑魯鲁豫豫鄂鄂湘湘贛赣瓊琼渝渝蜀蜀滇滇藏藏甘甘青青"
    "勝胜飯饭鐵铁礦矿稱称詢询優优僅仅億亿價价値值鑑鉴給给衝冲讀读寫写義义務务"
)
_T2S = str.maketrans({t: s for t, s in zip(_TRADITIONAL[::2], _TRADITIONAL[1::2], strict=True)})


def to_simplified(text: str) -> str:
    """Traditional characters of plan prose to their Simplified form."""
    return text.translate(_T2S)


# --- punctuation and spaces ---------------------------------------------------------

_PUNCT = str.maketrans(
    {
        "(": "（",
        ")": "）",
        ";": "；",
        "!": "！",
        "?": "？",
        "〈": "《",
        "〉": "》",
        "\u3000": " ",
        "\xa0": " ",
        "\u2002": " ",
        "\u2003": " ",
        "\u2009": " ",
        "\u200b": "",
        "\ufeff": "",
    }
)
# A comma or colon between two digits is a number (1,000) or a time (9:30), not a
# list separator; everywhere else the half-width form is the full-width one mistyped.
_COMMA = re.compile(r"(?<!\d),|,(?!\d)")
_COLON = re.compile(r"(?<!\d):|:(?!\d)")
# Spaces in Chinese prose are layout (PDF justification, ``2025 年``), never meaning;
# between two ASCII words they are kept.
_SPACE_NEAR_WIDE = re.compile(r"[ \t]+(?=[^\x00-\x7f])|(?<=[^\x00-\x7f])[ \t]+")
_FULLWIDTH_ALNUM = re.compile(r"[０-９Ａ-Ｚａ-ｚ％＋－／]")


def normalise_line(line: str) -> str:
    """One line in the parser's spelling: Simplified, full-width punctuation, no layout spaces."""
    line = to_simplified(strip_invisible(line).translate(_PUNCT))
    line = _FULLWIDTH_ALNUM.sub(lambda m: unicodedata.normalize("NFKC", m.group()), line)
    line = _COMMA.sub("，", line)
    line = _COLON.sub("：", line)
    line = _SPACE_NEAR_WIDE.sub("", line)
    return line.strip()


def normalise(text: str) -> str:
    """The whole document in the parser's spelling, line breaks kept (see :func:`lines`)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(normalise_line(line) for line in text.split("\n"))


def lines(text: str) -> list[str]:
    """The non-blank lines of normalised text.

    Blank lines carry no meaning in these documents: PDF extraction puts one after every
    line, and page breaks add more, even inside a unit list (``自治区发展改革`` / blank /
    ``委``). Paragraphs are found from the headings instead (:func:`paragraphs`).
    """
    return [line for line in (normalise_line(raw) for raw in text.split("\n")) if line]


# --- paragraphs ---------------------------------------------------------------------

#: A line that opens a numbered heading: ``一、``, ``（一）``, ``1.`` / ``1．`` / ``1、``.
#: ``5.5%`` at the start of a wrapped line is a number, not a heading.
HEADING = re.compile(
    r"^(?:[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）|\d{1,2}[.．、](?!\d))"
)
_ENDS_PARAGRAPH = ("。", "！", "？")


def bracket_depth(text: str) -> int:
    """Open ``（`` not yet closed in ``text``: above zero means inside a parenthesis."""
    depth = 0
    for char in text:
        if char == "（":
            depth += 1
        elif char == "）" and depth:
            depth -= 1
    return depth


def paragraphs(text: str) -> list[str]:
    """Rejoin hard-wrapped lines into paragraphs.

    A new paragraph starts at a numbered heading, or after a line that ends a sentence
    outside any parenthesis. Every other line break (and every blank line) falls inside
    a word or a list and is removed: Chinese has no spaces between words, so joining
    with nothing is exact.
    """
    result: list[str] = []
    current = ""
    for line in lines(text):
        starts_new = not current or bool(HEADING.match(line))
        if not starts_new and current.endswith(_ENDS_PARAGRAPH) and bracket_depth(current) == 0:
            starts_new = True
        if starts_new:
            if current:
                result.append(current)
            current = line
        else:
            current += line
    if current:
        result.append(current)
    return result
