"""PHI masking (launchpad.assistant.phi): each kind it finds, what it leaves alone, and time linear in the
text on inputs built to make a backtracking pattern explode."""

from __future__ import annotations

import time
from collections import Counter

import pytest

from launchpad.assistant import phi
from launchpad.assistant.phi import mask


@pytest.mark.parametrize(
    ("text", "masked", "kind"),
    [
        ("write to jane.roe+clinic@mail.example.org today", "write to [EMAIL] today", "EMAIL"),
        ("see https://portal.example.com/p?id=42 now", "see [URL] now", "URL"),
        ("or www.example.org/x.", "or [URL]", "URL"),
        ("from 192.168.10.20 at 10:30:00", "from [IP] at 10:30:00", "IP"),
        ("host 2001:db8::1 down", "host [IP] down", "IP"),
        ("my SSN is 123-45-6789.", "my SSN is [SSN].", "SSN"),
        ("ssn: 123456789", "ssn: [SSN]", "SSN"),
        ("social security number 123 45 6789", "social security number [SSN]", "SSN"),
        ("card 4111 1111 1111 1111 expired", "card [CARD] expired", "CARD"),
        ("card 4111-1111-1111-1111", "card [CARD]", "CARD"),
        ("call (555) 123-4567 now", "call [PHONE] now", "PHONE"),
        ("call 555.123.4567", "call [PHONE]", "PHONE"),
        ("call +1 555 123 4567", "call [PHONE]", "PHONE"),
        ("ring +44 20 7946 0958 please", "ring [PHONE] please", "PHONE"),
        ("ring +33 1 23 45 67 89", "ring [PHONE]", "PHONE"),
        ("fax: 020 7946 0959", "fax: [PHONE]", "PHONE"),
        ("MRN: A1234567 admitted", "MRN: [MRN] admitted", "MRN"),
        ("medical record number 00-88-1234", "medical record number [MRN]", "MRN"),
        ("my member id is XJ-99812", "my member id is [HEALTH_PLAN]", "HEALTH_PLAN"),
        ("policy no. 55667788", "policy no. [HEALTH_PLAN]", "HEALTH_PLAN"),
        ("acct # 44556677", "acct # [ACCOUNT]", "ACCOUNT"),
        ("license number D1234567", "license number [LICENSE]", "LICENSE"),
        ("pacemaker serial number SN-8812-X", "pacemaker serial number [DEVICE]", "DEVICE"),
        ("VIN 1HGCM82633A004352", "VIN [VEHICLE]", "VEHICLE"),
        ("born 03/14/1970.", "born [DATE].", "DATE"),
        ("born 14.03.70", "born [DATE]", "DATE"),
        ("on 1970-03-14", "on [DATE]", "DATE"),
        ("on March 14, 1970", "on [DATE]", "DATE"),
        ("the 14th of March 1970", "the [DATE]", "DATE"),
        ("since Mar 2019", "since [DATE]", "DATE"),
        ("she is 92 years old", "she is [AGE]", "AGE"),
        ("aged 95", "[AGE]", "AGE"),
        ("at 12 North Main Street, Springfield", "at [ADDRESS], Springfield", "ADDRESS"),
        ("P.O. Box 1234", "[ADDRESS]", "ADDRESS"),
        ("Springfield, IL 62704", "Springfield, IL [ZIP]", "ZIP"),
        ("zip code 62704-1234", "zip code [ZIP]", "ZIP"),
        ("My name is John Smith and", "My name is [NAME] and", "NAME"),
        ("my name is john and I", "my name is [NAME] and I", "NAME"),
        ("Patient: Jane Roe, 40", "Patient: [NAME], 40", "NAME"),
        ("Patient Jane Roe has", "Patient [NAME] has", "NAME"),
        ("seen by Dr. Gregory House today", "seen by Dr. [NAME] today", "NAME"),
        ("Mrs. Hudson called", "Mrs. [NAME] called", "NAME"),
    ],
)
def test_each_kind_is_masked_with_its_placeholder(text: str, masked: str, kind: str) -> None:
    found = mask(text)
    assert found.text == masked
    assert found.kinds == Counter({kind: 1})


@pytest.mark.parametrize(
    "text",
    [
        "Take 500 mg twice daily for 10 days; 1.5 mg/kg; dose 20000 units.",
        "Diagnosed in 2015, again in 2019.",  # years alone are kept
        "My HbA1c was 7.2 and 3/4 of the tablet is left.",
        "Is 10:30 a good time for insulin? Version 1.2.3 of the leaflet.",
        "The card number 4111 1111 1111 1112 fails the Luhn check.",
        "I am 45 years old and my blood pressure is 140/90.",
        "Group B streptococcus; member of staff; the patient was seen.",
        "What is the dose of ibuprofen for a child of 20 kg?",
    ],
)
def test_ordinary_medical_text_is_left_alone(text: str) -> None:
    found = mask(text)
    assert found.text == text
    assert found.kinds == Counter()


def test_a_question_with_many_identifiers_keeps_none_of_their_digits() -> None:
    question = (
        "Hi, my name is Jane Roe, DOB 03/14/1970, SSN 123-45-6789, MRN: 8812345, phone (555) 867-5309, "
        "email jane@example.com, I live at 42 Wallaby Way, Sydney. Can I take ibuprofen with lisinopril?"
    )
    found = mask(question)
    for secret in ("Jane", "Roe", "1970", "6789", "8812345", "867", "jane@", "42 Wallaby"):
        assert secret not in found.text
    assert found.text.endswith("Can I take ibuprofen with lisinopril?")
    assert found.kinds == Counter(
        {"NAME": 1, "DATE": 1, "SSN": 1, "MRN": 1, "PHONE": 1, "EMAIL": 1, "ADDRESS": 1}
    )
    assert found.found == 7


def test_luhn() -> None:
    assert phi.luhn("4111111111111111") and phi.luhn("79927398713")
    assert not phi.luhn("4111111111111112") and not phi.luhn("79927398710")


@pytest.mark.parametrize(
    "hostile",
    [
        "1" * 20_000,
        "1 " * 10_000,
        "a" * 20_000 + "@",
        "a." * 10_000,
        "Mr. " + "Aa " * 7_000,
        "1:" * 10_000,
        "MRN " + "1-" * 10_000,
        "12 " + "Main " * 4_000,
        "+1 " + "2 " * 10_000,
        "http://" + "x" * 20_000,
    ],
    ids=lambda text: f"{text[:12]!r}x{len(text)}",
)
def test_masking_stays_fast_on_inputs_that_make_backtracking_explode(hostile: str) -> None:
    started = time.perf_counter()
    mask(hostile)
    assert time.perf_counter() - started < 1.0
