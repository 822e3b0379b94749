"""Masking the protected health information (PHI) a pattern can find in free text, before it is logged or
stored masked.

``mask(text)`` replaces each identifier it finds with a placeholder naming its kind (``[EMAIL]``,
``[PHONE]``, ...) and counts the kinds, so the assistant can store and log a question as ``question_masked``
and log how many of each kind it held (never the values). The kinds are the HIPAA Safe Harbor identifiers of
45 CFR 164.514(b)(2)(i) that have a recognisable written form (HHS, "Guidance Regarding Methods for
De-identification of Protected Health Information"):

- ``EMAIL``: e-mail addresses.
- ``URL``: web addresses (``http://``, ``https://``, ``ftp://``, ``www.``).
- ``IP``: IPv4 addresses (each part 0-255) and IPv6 addresses of three or more groups
  (``ipaddress`` decides).
- ``SSN``: social security numbers written ``123-45-6789`` or ``123 45 6789``, and nine digits after a
  label (``SSN: 123456789``).
- ``CARD``: 13 to 19 digits, grouped by spaces or hyphens or not, that pass the Luhn check (payment cards:
  account numbers).
- ``PHONE``: telephone and fax numbers: North American forms (``(555) 123-4567``, ``555.123.4567``,
  ``+1 555 123 4567``, ten digits), international ones starting with ``+`` and a country code
  (``+44 20 7946 0958``, ``+33 1 23 45 67 89``), and any number of 7 to 20 digits and separators after a
  label (``tel``, ``phone``, ``fax``, ``mobile``, ``cell``).
- ``MRN``, ``HEALTH_PLAN``, ``ACCOUNT``, ``LICENSE``, ``DEVICE``, ``VEHICLE``: a value holding a digit after
  its label: medical record (``MRN``, ``medical record number``, ``chart no``, ``patient id``), health plan
  (``member id``, ``policy number``, ``insurance id``, ``subscriber id``, ``group number``, ``Medicare`` /
  ``Medicaid number``), account (``account number``, ``acct``), certificate and licence (``license no``,
  ``certificate number``, ``DEA``, ``NPI``), device (``serial number``, ``S/N``, ``device id``, ``IMEI``,
  ``UDI``) and vehicle (``VIN``, ``license plate``) identifiers. The label is kept, the value replaced.
- ``DATE``: dates with a day or a month: ``03/14/1970``, ``14.03.70``, ``1970-03-14``, ``March 14, 1970``,
  ``14th of March 1970``, ``Mar 14``, ``March 1970``. A year alone is kept (Safe Harbor allows it).
- ``AGE``: ages over 89 (``92 years old``, ``aged 95``, ``age: 101``), which Safe Harbor pools.
- ``ADDRESS``: a street address with a house number and a street type (``12 Elm Street``,
  ``4 North Main St.``), and ``P.O. Box 123``.
- ``ZIP``: a ZIP code after a US state's abbreviation (``Springfield, IL 62704``) or a ``zip`` label.
- ``NAME``: names after a cue: ``my name is``, ``I am called``, ``name:``, ``patient:``
  (``pt:``, ``patient name:``, ``Patient Jane Roe``), and titles (``Mr.``, ``Mrs.``, ``Ms.``, ``Miss``,
  ``Dr.``, ``Prof.``): one to three capitalised words (after ``my name is``, the first word in any case).

What it does not find, by design or because no pattern can:

- names without a cue (``Jane told me...``, ``my son Tom``), names in lower case after a title, relatives'
  and employers' names, and geographic units smaller than a state written as words (a city, a county, a
  street without a house number and a street type);
- dates without a day or month written as words or numbers above (``the 14th``, ``last Easter``,
  ``3/14`` without a year, which reads as a fraction), and ages of 89 or less (kept, as Safe Harbor allows);
- identifiers without a label (a bare medical record or account number, a licence plate, a serial number),
  numbers split in unusual ways (``555 12 34 567``), national numbers without ``+`` and country code outside
  North America (``020 7946 0958``) unless labelled, and addresses outside the US form;
- card numbers failing the Luhn check (typing errors), SSNs in other groupings, ZIP codes without a state or
  label (five digits alone are as often a dose or a count);
- biometric identifiers and photographs (not text), and "any other unique identifying number,
  characteristic or code".

So the masked text is not de-identified in the Safe Harbor sense: it is the question with the identifiers a
pattern can find removed, which narrows what a log or a table holds. On AWS a team that needs more adds
Amazon Comprehend Medical ``DetectPHI`` (names, ages, addresses and identifiers found by a model, with a
confidence per entity) before or instead of these patterns; the placeholders stay the same.

Every pattern is linear in the text: no repeat holds a repeat that can take the same characters
(tests/unit/test_regex_safety.py reads them), and each repeat is bounded. Standard library only: the
assistant's Lambda function imports it.
"""

from __future__ import annotations

import ipaddress
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

EMAIL = "EMAIL"
URL = "URL"
IP = "IP"
SSN = "SSN"
CARD = "CARD"
PHONE = "PHONE"
MRN = "MRN"
HEALTH_PLAN = "HEALTH_PLAN"
ACCOUNT = "ACCOUNT"
LICENSE = "LICENSE"
DEVICE = "DEVICE"
VEHICLE = "VEHICLE"
DATE = "DATE"
AGE = "AGE"
ADDRESS = "ADDRESS"
ZIP = "ZIP"
NAME = "NAME"


@dataclass(frozen=True)
class Masked:
    """The text with each identifier found replaced by ``[KIND]``, and how many of each kind it held."""

    text: str
    kinds: Counter[str] = field(default_factory=Counter)

    @property
    def found(self) -> int:
        return sum(self.kinds.values())


def placeholder(kind: str) -> str:
    return f"[{kind}]"


# -- the patterns ------------------------------------------------------------------------------------------
_URL = re.compile(r"\b(?:(?:https?|ftp)://|www\.)[^\s<>\"'()\[\]]{1,2000}", re.IGNORECASE)
_EMAIL = re.compile(
    r"(?<![\w.%+-])[\w.%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){1,8}(?![\w-])", re.ASCII
)
_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w]|\.\d)", re.ASCII)
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{1,4}(?![\w:])", re.ASCII)
_SSN = re.compile(
    r"(?<![\w-])\d{3}(?P<sep>[- ])\d{2}(?P=sep)\d{4}(?![\w-])"
    r"|(?i:\b(?:ssn|social security(?: number| no\.?)?)[ \t]{0,3}[:#]?[ \t]{0,3})(?P<bare>\d{9})\b",
    re.ASCII,
)
_CARD = re.compile(r"(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w]|-\d)", re.ASCII)
_PHONE_LABELLED = re.compile(
    r"(?i:\b(?:tel|telephone|phone|ph|fax|mobile|cell|cellphone|pager)\b\.?[ \t]{0,3}"
    r"(?:(?:no\.?|number|num|#)[ \t]{0,3})?(?:is[ \t]{1,3})?[:#]?[ \t]{0,3})"
    r"(?P<value>\+?\(?\d[\d ().-]{5,18}\d)(?!\d)",
    re.ASCII,
)
_PHONE = re.compile(
    r"(?<![\w+])(?:\+?1[ .-]?)?(?:\(\d{3}\)|\d{3})[ .-]?\d{3}[ .-]?\d{4}(?!\d)"
    r"|(?<![\w+])\+\d{1,3}(?:[ .-]\(?\d{1,10}\)?){1,6}(?![\w])"
    r"|(?<![\w+])\+\d{8,15}(?!\d)",
    re.ASCII,
)
# A label, then the value: letters, digits, hyphens and slashes holding at least one digit (checked after).
_VALUE = r"[ \t]{0,3}(?:(?:number|num|no\.?|id|#)[ \t]{0,3})?(?:is[ \t]{1,3})?[:#=]?[ \t]{0,3}"
_VALUE += r"(?P<value>[A-Za-z0-9][A-Za-z0-9/-]{2,30})(?![\w/-])"
_LABELLED = {
    MRN: r"mrn|medical record|med rec|chart|patient id|patient number|hospital number|case number",
    HEALTH_PLAN: r"member id|member|policy|insurance id|insurance|subscriber id|subscriber|group|"
    r"health plan id|health plan|plan id|beneficiary id|beneficiary|medicare|medicaid|nhs|insurance card",
    ACCOUNT: r"account|acct|a/c|billing id|invoice",
    LICENSE: r"driver'?s licen[cs]e|licen[cs]e|certificate|dea|npi|passport",
    DEVICE: r"serial|s/n|sn|device id|device serial|imei|udi|implant id|pacemaker id",
    VEHICLE: r"vin|license plate|licence plate|number plate|plate",
}
_LABELLED_PATTERNS = {
    kind: re.compile(rf"(?i:\b(?:{labels})\b\.?){_VALUE}", re.ASCII) for kind, labels in _LABELLED.items()
}
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_DATE = re.compile(
    r"(?<![\w/.-])\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})(?![\w/-]|\.\d)"
    r"|(?<![\w/.-])\d{4}[/.-]\d{1,2}[/.-]\d{1,2}(?![\w/-]|\.\d)"
    rf"|\b{_MONTH}\.?[ \t]{{1,3}}\d{{1,2}}(?:st|nd|rd|th)?\b(?:,?[ \t]{{1,3}}\d{{4}}\b)?"
    rf"|\b\d{{1,2}}(?:st|nd|rd|th)?[ \t]{{1,3}}(?:of[ \t]{{1,3}})?{_MONTH}\b\.?(?:,?[ \t]{{1,3}}\d{{4}}\b)?"
    rf"|\b{_MONTH}\.?,?[ \t]{{1,3}}\d{{4}}\b",
    re.ASCII | re.IGNORECASE,
)
_AGE = re.compile(
    r"\b(?P<a>9\d|1[0-4]\d)[ -](?:years?|yrs?|y/o|yo)(?:[ -]old)?\b"
    r"|\b(?:aged?|age:)[ \t]{0,3}(?P<b>9\d|1[0-4]\d)\b",
    re.ASCII | re.IGNORECASE,
)
_STREET_TYPES = (
    r"Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Ter|"
    r"Circle|Cir|Highway|Hwy|Parkway|Pkwy|Square|Sq|Trail|Close|Crescent"
)
_ADDRESS = re.compile(
    rf"\b\d{{1,6}}[A-Za-z]?(?: [A-Z][A-Za-z'.-]{{0,30}}){{1,4}} (?:{_STREET_TYPES})\b\.?"
    r"|\b(?i:p\.?[ \t]?o\.?[ \t]{0,3}box)[ \t]{0,3}\d{1,8}\b",
    re.ASCII,
)
_STATES = (
    r"AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|"
    r"ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY|PR|GU|VI"
)
_ZIP = re.compile(
    rf"(?:\b(?:{_STATES}),?[ \t]{{1,3}}|(?i:\bzip(?:[ \t]?code)?\b)[ \t]{{0,3}}[:#]?[ \t]{{0,3}})"
    r"(?P<value>\d{5}(?:-\d{4})?)\b",
    re.ASCII,
)
_CAPITALISED = r"[A-Z][a-z'-]{1,30}"
_NAME = re.compile(
    r"(?i:\b(?:my name is|my name's|i am called|i'm called)[ \t]{1,3})"
    rf"(?P<first>[A-Za-z][A-Za-z'-]{{1,30}}(?:[ \t]{_CAPITALISED}){{0,2}})"
    r"|(?i:\b(?:patient name|pt name|name|patient|pt)[ \t]{0,3}:[ \t]{0,3})"
    rf"(?P<labelled>{_CAPITALISED}(?:[ \t]{_CAPITALISED}){{0,2}})"
    r"|\b(?:Patient|Mr|Mrs|Ms|Mx|Miss|Dr|Prof)\.?[ \t]{1,3}"
    rf"(?P<titled>{_CAPITALISED}(?:[ \t]{_CAPITALISED}){{0,2}})",
    re.ASCII,
)


# -- the checks a pattern cannot make ---------------------------------------------------------------------
def luhn(digits: str) -> bool:
    """The Luhn (mod 10) check of ISO/IEC 7812 card numbers."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _is_ip(match: re.Match[str]) -> bool:
    text = match.group()
    if ":" in text and sum(1 for part in text.split(":") if part) < 3:
        return False
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _is_card(match: re.Match[str]) -> bool:
    digits = re.sub(r"[ -]", "", match.group())
    return 13 <= len(digits) <= 19 and luhn(digits)


def _enough_phone_digits(match: re.Match[str]) -> bool:
    return 7 <= sum(char.isdigit() for char in match.group("value") or match.group()) <= 15


def _has_digit(match: re.Match[str]) -> bool:
    return any(char.isdigit() for char in match.group("value"))


# (kind, pattern, the group replaced (None: the whole match), a check the match must pass (None: any)),
# in the order applied: URLs and e-mail addresses first (they hold digits and names), labelled identifiers
# before the unlabelled number forms, names last.
Rule = tuple[str, re.Pattern[str], str | None, Callable[[re.Match[str]], bool] | None]
RULES: tuple[Rule, ...] = (
    (URL, _URL, None, None),
    (EMAIL, _EMAIL, None, None),
    (IP, _IPV4, None, _is_ip),
    (IP, _IPV6, None, _is_ip),
    (SSN, _SSN, None, None),
    *((kind, pattern, "value", _has_digit) for kind, pattern in _LABELLED_PATTERNS.items()),
    (PHONE, _PHONE_LABELLED, "value", _enough_phone_digits),
    (CARD, _CARD, None, _is_card),
    (PHONE, _PHONE, None, None),
    (DATE, _DATE, None, None),
    (AGE, _AGE, None, None),
    (ADDRESS, _ADDRESS, None, None),
    (ZIP, _ZIP, "value", None),
    (NAME, _NAME, None, None),
)


def _masked_name(match: re.Match[str]) -> str:
    """A name match with the name replaced and its cue kept."""
    group = next(name for name in ("first", "labelled", "titled") if match.group(name) is not None)
    start, end = match.span(group)
    return match.string[match.start() : start] + placeholder(NAME) + match.string[end : match.end()]


def _apply(text: str, rule: Rule, kinds: Counter[str]) -> str:
    kind, pattern, group, check = rule

    def replace(match: re.Match[str]) -> str:
        if check is not None and not check(match):
            return match.group()
        kinds[kind] += 1
        if kind == NAME:
            return _masked_name(match)
        group_name = "bare" if kind == SSN and match.group("bare") is not None else group or ""
        if not group_name:
            return placeholder(kind)
        start, end = match.span(group_name)
        return match.string[match.start() : start] + placeholder(kind) + match.string[end : match.end()]

    return pattern.sub(replace, text)


def mask(text: str) -> Masked:
    """``text`` with every identifier the patterns find replaced by ``[KIND]``, and the count of each kind.
    What it does not find is listed in the module's docstring."""
    kinds: Counter[str] = Counter()
    for rule in RULES:
        text = _apply(text, rule, kinds)
    return Masked(text, kinds)
