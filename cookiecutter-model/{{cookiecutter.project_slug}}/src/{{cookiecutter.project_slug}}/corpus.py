"""A synthetic, seeded text corpus: nothing is downloaded, and every run writes the same sentences.

Short sentences of a patient-services assistant in three domains (appointments, billing, pharmacy), made from
templates with seeded slot values. The domain is the group attribute of the evaluation: the model card
reports the perplexity per domain, as a fairness check across user groups would.

Replace ``make_corpus`` with your own text; keep the Corpus it returns.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

SEED = 7
SENTENCES = 2400
HOLDOUT_SHARE = 0.15

TEMPLATES = {
    "appointments": (
        "your appointment with dr {name} is on {day} at {hour}.",
        "dr {name} can see you on {day} at {hour}.",
        "to move your visit with dr {name}, call before {day}.",
    ),
    "billing": (
        "your invoice of {amount} euros is due on {day}.",
        "we received your payment of {amount} euros, thank you.",
        "a balance of {amount} euros remains on your account.",
    ),
    "pharmacy": (
        "your prescription for {drug} is ready for pickup on {day}.",
        "take {drug} twice a day, with food.",
        "your {drug} refill was sent to the pharmacy on {day}.",
    ),
}
SLOTS = {
    "name": ("smith", "garcia", "chen", "okafor", "novak", "silva"),
    "day": ("monday", "tuesday", "wednesday", "thursday", "friday"),
    "hour": ("9:00", "10:30", "11:15", "14:00", "16:45"),
    "amount": ("12", "40", "85", "120", "310"),
    "drug": ("amoxicillin", "metformin", "ibuprofen", "lisinopril", "insulin"),
}


@dataclass(frozen=True)
class Corpus:
    train: str  # one sentence per line
    holdout: dict[str, str]  # domain -> its held-out sentences, one per line


def make_corpus(seed: int = SEED, sentences: int = SENTENCES) -> Corpus:
    rng = random.Random(seed)
    lines: list[tuple[str, str]] = []
    domains = sorted(TEMPLATES)
    for _ in range(sentences):
        domain = rng.choice(domains)
        template = rng.choice(TEMPLATES[domain])
        values = {slot: rng.choice(options) for slot, options in SLOTS.items()}
        lines.append((domain, template.format(**values)))
    split = int(len(lines) * (1 - HOLDOUT_SHARE))
    holdout = {d: "\n".join(text for domain, text in lines[split:] if domain == d) + "\n" for d in domains}
    return Corpus("\n".join(text for _, text in lines[:split]) + "\n", holdout)
