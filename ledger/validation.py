"""Checks on free text and figures that every command applies the same way."""

from __future__ import annotations

import ipaddress
import math
import re
import unicodedata
from typing import Any
from urllib.parse import urlsplit

from ledger.errors import EmptyNarrative, InvalidInput, InvalidValue

# Tab and newline are ordinary in a narrative; every other C0/C1 control is a mistake
# (or an attack on whatever later renders the text).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Half of a UTF-16 surrogate pair on its own is not a character: no UTF-8 store or
# response can hold it (it arrives as a JSON "\ud800" escape or undecodable argv bytes).
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# Bidirectional embeddings, overrides and isolates reorder the text around them when it
# is displayed: after U+202E, "名单fdp.exe" shows as "名单exe.pdf", in a briefing's PDF
# as in a browser.
_BIDI_CONTROL = re.compile("[\u202a-\u202e\u2066-\u2069]")
# Characters that show nothing: controls, format characters (zero-width space and
# joiners, U+FEFF) and spaces of every width (U+3000 included). Text made only of them
# is empty, however many there are; at either end of a text they are trimmed.
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Zs"})

MAX_NARRATIVE = 100_000
MAX_SHORT_TEXT = 2_000
MAX_METRIC_NAME = 100
MAX_METRICS = 100
#: No figure a plan speaks of comes near this (the largest are 亿元 amounts, ~10^10);
#: beyond it a value is a typo or an attack, and sums of such values stay finite.
MAX_METRIC_MAGNITUDE = 10**15
#: A target's measure that is a rate: its value reached lies within 0-100.
PERCENT_MEASURE = "%"


def clean_text(
    value: Any, field: str, *, limit: int = MAX_SHORT_TEXT, required: bool = True
) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be text", field=field)
    if _LONE_SURROGATE.search(value):
        raise InvalidInput(
            f"{field} contains characters that are not text (lone surrogates)", field=field
        )
    if _BIDI_CONTROL.search(value):
        raise InvalidInput(
            f"{field} contains bidirectional controls (U+202A-U+202E, U+2066-U+2069), "
            "which reorder the text when it is shown",
            field=field,
        )
    if _CONTROL.search(value):
        raise InvalidInput(f"{field} contains control characters", field=field)
    text = strip_invisible(value)
    if required and not text:
        raise InvalidInput(
            f"{field} must not be empty (spaces and invisible characters do not count)",
            field=field,
        )
    if len(text) > limit:
        raise InvalidInput(f"{field} is longer than {limit} characters", field=field)
    return text


def _invisible(char: str) -> bool:
    return char.isspace() or unicodedata.category(char) in _INVISIBLE_CATEGORIES


def strip_invisible(value: str) -> str:
    """``value`` without whitespace or invisible characters at either end; "" when it
    holds nothing else (a zero-width-only text is as empty as a spaces-only one)."""
    start, end = 0, len(value)
    while start < end and _invisible(value[start]):
        start += 1
    while end > start and _invisible(value[end - 1]):
        end -= 1
    return value[start:end]


def clean_narrative(value: Any) -> str:
    try:
        return clean_text(value, "narrative", limit=MAX_NARRATIVE)
    except InvalidInput as error:
        if "must not be empty" in error.message:
            raise EmptyNarrative("a progress report needs a narrative", field="narrative") from None
        raise


def clean_metrics(values: Any) -> dict[str, int | float]:
    """Metric values are plain numbers: no booleans, strings, NaN or infinities, and
    none beyond ±10^15 (:data:`MAX_METRIC_MAGNITUDE`)."""
    if values is None:
        return {}
    if not isinstance(values, dict):
        raise InvalidValue("metric values must be a mapping of name to number", field="metrics")
    if len(values) > MAX_METRICS:
        raise InvalidValue(f"at most {MAX_METRICS} metric values per report", field="metrics")
    cleaned: dict[str, int | float] = {}
    for name, number in values.items():
        key = clean_text(name, "metric name", limit=MAX_METRIC_NAME)
        if isinstance(number, bool) or not isinstance(number, int | float):
            raise InvalidValue(
                f"metric {key!r} must be a number, not {type(number).__name__}", field="metrics"
            )
        if isinstance(number, float) and not math.isfinite(number):
            raise InvalidValue(f"metric {key!r} must be a finite number", field="metrics")
        if abs(number) > MAX_METRIC_MAGNITUDE:
            raise InvalidValue(
                f"metric {key!r} is {number:g}; figures lie within ±10^15", field="metrics"
            )
        cleaned[key] = number
    return cleaned


def check_figures_against_targets(
    values: dict[str, int | float], targets: list[dict[str, Any]]
) -> None:
    """Figures reported under a target's indicator are the value reached so far
    (README, "Target progress"): never negative, and for a rate (a target whose measure
    is %) at most 100. Metrics that name no target keep only :func:`clean_metrics`'
    bounds."""
    measures: dict[str, set[str]] = {}
    for target in targets:
        measures.setdefault(str(target.get("indicator")), set()).add(str(target.get("measure")))
    for name, number in values.items():
        of_target = measures.get(name)
        if not of_target:
            continue
        if number < 0:
            raise InvalidValue(
                f"metric {name!r} is the value a target has reached so far; it cannot be "
                f"negative ({number:g})",
                field="metrics",
            )
        if PERCENT_MEASURE in of_target and number > 100:
            raise InvalidValue(
                f"metric {name!r} is a percentage; {number:g} is not within 0-100",
                field="metrics",
            )


# ---- a unit's contact (联络员) ---------------------------------------------------------
# Reminders leave for these addresses, so each is checked for what it is, not just for
# being text. A contact is one line: no tabs or newlines either (an email address with a
# newline would be a second mail header).
CONTACT_FIELDS = ("name", "phone", "email", "webhook")
MAX_CONTACT_NAME = 200
MAX_PHONE = 32
MAX_EMAIL = 254  # the longest address SMTP carries (RFC 5321's path limit less <>)
MAX_WEBHOOK = 2_000

# Unicode categories a contact field refuses: controls (tab and newline included), lone
# surrogates (not text: no UTF-8 store can hold them), invisible format characters
# (zero-width spaces, bidirectional overrides), which would make two contacts that look
# the same differ, or an address look like another.
_REFUSED_CATEGORIES = {
    "Cc": "control characters (one line only)",
    "Cs": "characters that are not text (lone surrogates)",
    "Cf": "invisible formatting characters",
}
_PHONE = re.compile(r"\+?[0-9() -]+")
# Characters an address could hold only quoted, or that would make it several addresses.
_EMAIL_LOCAL = re.compile(r"[^\s\"(),:;<>@\[\\\]]+")
_DOMAIN_LABEL = re.compile(r"[^\W_](?:[\w-]*[^\W_])?")
# Host names as resolvers take them; underscores appear in container service names.
_HOST_LABEL = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?")


def _one_line(value: Any, field: str, limit: int) -> str:
    """Visible text on one line, storable as UTF-8, stripped, at most ``limit`` characters."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be text", field=field)
    found = {unicodedata.category(c) for c in value}
    for category, what in _REFUSED_CATEGORIES.items():
        if category in found:
            raise InvalidInput(f"{field} contains {what}", field=field)
    text = value.strip()
    if len(text) > limit:
        raise InvalidInput(f"{field} is longer than {limit} characters", field=field)
    return text


def clean_contact_name(value: Any) -> str:
    text = _one_line(value, "name", MAX_CONTACT_NAME)
    if not text:
        raise InvalidInput("a contact needs a name", field="name")
    return text


def clean_phone(value: Any) -> str:
    """Digits with an optional leading ``+``, hyphens, parentheses and spaces; "" for none.

    Full-width digits and brackets typed with a Chinese input method become ASCII (NFKC).
    """
    text = unicodedata.normalize("NFKC", _one_line(value, "phone", MAX_PHONE))
    if not text:
        return ""
    if not _PHONE.fullmatch(text) or sum(c.isdigit() for c in text) < 3:
        raise InvalidInput(
            f"phone {text!r} is not a phone number (digits, optionally a leading +, "
            "hyphens, brackets and spaces)",
            field="phone",
        )
    return text


def clean_email(value: Any) -> str:
    """One plausible address, ``local@domain.tld``; "" for none. Never a list, never a
    display name: the outbox puts it in a ``To`` header as it is."""
    text = _one_line(value, "email", MAX_EMAIL)
    if not text:
        return ""

    def refuse(why: str) -> InvalidInput:
        return InvalidInput(f"email {text!r} is not one address: {why}", field="email")

    if any(c.isspace() for c in text):
        raise refuse("it contains a space")
    if text.count("@") != 1:
        raise refuse("it needs exactly one @")
    local, domain = text.split("@")
    if not local or len(local) > 64 or not _EMAIL_LOCAL.fullmatch(local):
        raise refuse("the part before @ is empty, too long or holds , ; < > quotes or brackets")
    if local.startswith(".") or local.endswith(".") or ".." in local:
        raise refuse("the part before @ has a misplaced dot")
    labels = domain.split(".")
    if len(labels) < 2 or not all(
        len(label) <= 63 and _DOMAIN_LABEL.fullmatch(label) for label in labels
    ):
        raise refuse("the part after @ must be a domain such as example.gov.cn")
    if labels[-1].isdigit():
        raise refuse("the part after @ must be a domain name, not a number")
    return text


def clean_webhook(value: Any) -> str:
    """An absolute ``http``/``https`` URL with a host and no user:password; "" for none.

    Only its form is checked: it is never fetched when set (the outbox posts to it
    later). ASCII only, so what is stored is exactly what is sent: percent-encode a
    path, write an internationalised host in punycode.
    """
    text = _one_line(value, "webhook", MAX_WEBHOOK)
    if not text:
        return ""

    def refuse(why: str) -> InvalidInput:
        return InvalidInput(f"webhook is not a usable URL: {why}", field="webhook")

    if not text.isascii():
        raise refuse("use ASCII only (percent-encode the path, punycode for the host)")
    if " " in text or "\\" in text:
        raise refuse("it contains a space or a backslash")
    try:
        parts = urlsplit(text)
    except ValueError:  # e.g. an unbalanced [ in the host
        raise refuse("it cannot be read as a URL") from None
    try:
        port = parts.port
    except ValueError:
        port = 0
    if parts.scheme.lower() not in ("http", "https"):
        raise refuse("it must start with http:// or https://")
    if "@" in parts.netloc:
        raise refuse("it must not carry a user name or password")
    host = parts.hostname or ""
    if not host:
        raise refuse("it has no host")
    if parts.netloc.startswith("["):
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise refuse(f"[{host}] is not an IPv6 address") from None
    elif len(host) > 253 or not all(
        len(label) <= 63 and _HOST_LABEL.fullmatch(label)
        for label in host.removesuffix(".").split(".")
    ):
        raise refuse(f"{host!r} is not a host name")
    if port == 0:
        raise refuse("its port must be a number from 1 to 65535")
    return text


def clean_contact(contact: dict[str, Any]) -> dict[str, str]:
    """Every contact field checked; a missing optional field is "" (none)."""
    unknown = set(contact) - set(CONTACT_FIELDS)
    if unknown:
        field = sorted(unknown)[0]
        raise InvalidInput(
            f"a contact has no field {field!r} (it has {', '.join(CONTACT_FIELDS)})", field=field
        )
    return {
        "name": clean_contact_name(contact.get("name")),
        "phone": clean_phone(contact.get("phone")),
        "email": clean_email(contact.get("email")),
        "webhook": clean_webhook(contact.get("webhook")),
    }


def stored_contact(liaison: dict[str, Any] | None) -> dict[str, str] | None:
    """A recorded contact with every field present: events written before the webhook
    existed hold no ``webhook`` key, which means none."""
    if liaison is None:
        return None
    return {key: liaison.get(key) or "" for key in CONTACT_FIELDS}
