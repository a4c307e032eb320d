"""Synthetic news articles for the scale benchmark: seeded, deterministic, news-like prose.

Article ``i`` of seed ``s`` is always the same text (its generator is seeded with ``(s, i)``), so
a corpus grown in steps is a prefix of a bigger one, whatever the step sizes. Each article has
a headline, a publication date, usually a dateline ("KYIV (AP) – …"), section headings, quotes
attributed with "said", reported speech, numbers, money, dates, places, organisations and
officials; within an article a quote, fact or heading is not repeated until its pool runs out.

Half the articles share the real corpus's vocabulary (Ukraine, Russia, France, Macron,
Zelenskyy, security guarantees, ceasefire, the Coalition of the Willing, troops, peace talks,
sanctions, drones), so they compete with the real articles in both BM25 and MiniLM; the rest
(economy, weather, sport, technology) are about other things. No sentence of the real articles
is copied: the templates are written from scratch. Public figures appear by name, as in any
wire copy on these topics, but every statement is generated, and each record says so in its
``source`` ("… (synthetic)") and ``url`` (``*.invalid``).

``python bench/synth.py --count 2 --seed 7`` prints two articles.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import string
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script, too

from bench.synth_vocab import (
    AGENCIES,
    FIRST_DAY,
    FIRST_NAMES,
    GENERAL_SOURCES,
    LAST_DAY,
    LAST_NAMES,
    MONTHS,
    PLAN,
    POLITICAL_SOURCES,
    QUOTE_FORMS,
    SAY,
    TOPICS,
    WEEKDAYS,
    WHEN,
    Topic,
)

RELATED_SHARE = 0.5  # articles on the real corpus's topics (the first five in TOPICS)


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


class _Writer:
    """One article's sentences, every choice drawn from the article's own generator."""

    def __init__(self, rng: random.Random, topic: Topic, day: dt.date) -> None:
        self.rng = rng
        self.topic = topic
        self.day = day
        self.used: set[str] = set()
        generated = [
            (f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}", role)
            for role in rng.sample(topic.roles, k=min(3, len(topic.roles)))
        ]
        # (how a sentence names them before a verb, the bare name)
        self.people = [(lead, _name_of(lead)) for lead in topic.leaders] + [
            (f"{name}, {role},", name) for name, role in generated
        ]
        self.sources = POLITICAL_SOURCES if topic.related else GENERAL_SOURCES

    def pick(self, pool: Sequence[str]) -> str | None:
        """A choice not yet used in this article, or None once the pool is used up."""
        fresh = [x for x in pool if x not in self.used]
        if not fresh:
            return None
        choice = self.rng.choice(fresh)
        self.used.add(choice)
        return choice

    def _date(self, ahead: bool = False) -> str:
        shift = self.rng.choice((1, 2, 3, 7, 14)) if ahead else -self.rng.choice((0, 0, 1, 2, 7))
        day = self.day + dt.timedelta(days=shift)
        style = self.rng.randrange(3)
        if style == 0:
            return f"{WEEKDAYS[day.weekday()]}, {MONTHS[day.month - 1]} {day.day}"
        if style == 1:
            return f"{day.day} {MONTHS[day.month - 1]}"
        return f"{day.day} {MONTHS[day.month - 1]} {day.year}"

    def _money(self) -> str:
        amount = f"{self.rng.randint(1, 99) / 10:.1f}"
        unit = self.rng.choice(("billion euros", "million euros", "billion dollars", "$"))
        return f"${amount} million" if unit == "$" else f"{amount} {unit}"

    def slots(self) -> dict[str, Callable[[], str]]:
        rng, t = self.rng, self.topic
        n = rng.randint(3, 60)
        return {
            "n": lambda: str(n),
            "n2": lambda: str(n + rng.randint(1, 40)),
            "k": lambda: str(rng.randint(1, 9)),
            "g1": lambda: str(rng.randint(0, 5)),
            "g2": lambda: str(rng.randint(0, 4)),
            "temp": lambda: str(rng.randint(-12, 46)),
            "pct": lambda: f"{rng.randint(1, 95) / 10:.1f}",
            "money": self._money,
            "city": lambda: rng.choice(t.places),
            "country": lambda: rng.choice(t.countries),
            "org": lambda: rng.choice(t.orgs),
            "actor": lambda: rng.choice(t.actors),
            "action": lambda: rng.choice(t.actions),
            "event": lambda: rng.choice(t.events),
            "plan": lambda: rng.choice(PLAN),
            "when": lambda: rng.choice(WHEN),
            "source": lambda: rng.choice(self.sources),
            "month": lambda: rng.choice(MONTHS),
            "weekday": lambda: WEEKDAYS[self.day.weekday()],
            "date": self._date,
            "later": lambda: self._date(ahead=True),
            "name": lambda: rng.choice(self.people)[1],
        }

    def fill(self, template: str) -> str:
        """Fill each slot once per sentence (a slot named twice gets one value); a slot's
        value may itself hold slots ("meet again in {city}")."""
        makers = self.slots()
        values: dict[str, str] = {}
        for _, name, _, _ in string.Formatter().parse(template):
            if name and name not in values:
                values[name] = self.fill(makers[name]())
        return template.format(**values)

    def quote(self) -> str:
        own = self.pick(self.topic.quotes) if self.rng.random() < 0.6 else None
        return self.fill(own or self.rng.choice(QUOTE_FORMS))

    def sentence(self) -> str:
        rng, t = self.rng, self.topic
        who, name = rng.choice(self.people)
        kind = rng.randrange(11)
        if kind == 0:
            return f'"{self.quote()}," {who} {rng.choice(SAY)}.'
        if kind == 1:
            return f'"{self.quote()}," {name} {rng.choice(SAY)} on {self._date()}.'
        if kind == 2:
            return f'{who} said: "{self.quote()}."'
        if kind == 3:
            return self.fill(f"{name} said {{actor}} would {{action}} {{when}}.")
        if kind == 4:
            org = rng.choice(t.orgs)
            actor = rng.choice([a for a in t.actors if a != org] or t.actors)
            return self.fill(f"According to {org}, {actor} {{plan}} {{action}} {{when}}.")
        if kind == 5 and (fact := self.pick(t.facts)):
            return self.fill(fact) + "."
        if kind == 6:
            return self.fill("{event} is scheduled for {later} in {city}.")
        if kind == 7:
            _, other = rng.choice(self.people)
            if other != name:
                return self.fill(
                    f"{name} met {other} in {{city}} on {{date}} to discuss {{event}}."
                )
        if kind == 8 and (background := self.pick(t.background)):
            return self.fill(background) + "."
        if kind in (7, 9):
            return self.fill("{actor} {plan} {action} {when}, {source}.")
        return self.fill(f"{who} {rng.choice(SAY)} that {{actor}} {{plan}} {{action}}.")

    def lead(self) -> str:
        who, _ = self.rng.choice(self.people)
        weekday = WEEKDAYS[self.day.weekday()]
        return self.fill(f"{{actor}} {{plan}} {{action}} {{when}}, {who} said on {weekday}.")


def _name_of(title_and_name: str) -> str:
    """ "French President Emmanuel Macron" -> "Emmanuel Macron" (the last two words, or three
    for "Ursula von der Leyen")."""
    words = title_and_name.split()
    keep = 4 if words[-3:-1] == ["von", "der"] else 2
    return " ".join(words[-keep:])


def topic_weights(related_share: float = RELATED_SHARE) -> list[float]:
    """Each topic's share of articles: ``related_share`` split over the topics of the real
    corpus in their set proportions, the rest over the others."""
    related = sum(t.weight for t in TOPICS if t.related)
    other = sum(t.weight for t in TOPICS if not t.related)
    return [
        t.weight / related * related_share if t.related else t.weight / other * (1 - related_share)
        for t in TOPICS
    ]


def article(
    seed: int,
    i: int,
    *,
    related_share: float = RELATED_SHARE,
    min_words: int = 420,
    max_words: int = 880,
) -> dict[str, str]:
    """Article ``i`` of ``seed``: a JSON-lines record the loader reads."""
    rng = random.Random(f"scale-bench:{seed}:{i}")
    topic = rng.choices(TOPICS, weights=topic_weights(related_share))[0]
    day = FIRST_DAY + dt.timedelta(days=rng.randrange((LAST_DAY - FIRST_DAY).days + 1))
    writer = _Writer(rng, topic, day)
    agency, agency_name = rng.choice(AGENCIES)
    target = rng.randint(min_words, max_words)
    lead = _cap(writer.lead())
    if rng.random() < 0.6:
        lead = f"{rng.choice(topic.places).upper()} ({agency}) – {lead}"
    paragraphs = [lead]
    words = len(lead.split())
    while words < target:
        heading = writer.pick(topic.headings) if rng.random() < 0.12 else None
        if heading:
            paragraphs.append(writer.fill(heading))
        para = " ".join(_cap(writer.sentence()) for _ in range(rng.randint(1, 3)))
        paragraphs.append(para)
        words += len(para.split())
    return {
        "id": f"a{i:06d}",
        "title": _cap(writer.fill(rng.choice(topic.headlines))),
        "text": "\n\n".join(paragraphs),
        "published": day.isoformat(),
        "source": f"{agency_name} (synthetic)",
        "url": f"https://news.example.invalid/{topic.name}/{seed}/{i}",
    }


def write_articles(
    folder: Path,
    seed: int,
    first: int,
    count: int,
    *,
    per_file: int = 500,
    related_share: float = RELATED_SHARE,
    prefix: str = "synth",
) -> list[Path]:
    """Articles ``first`` … ``first + count - 1`` as JSON lines, ``per_file`` to a file, in new
    files named by their first article (so a later step never rewrites an earlier file)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for lo in range(first, first + count, per_file):
        hi = min(first + count, lo + per_file)
        path = folder / f"{prefix}-{seed}-{lo:07d}.jsonl"
        with path.open("w", encoding="utf-8") as out:
            for i in range(lo, hi):
                record = article(seed, i, related_share=related_share)
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
        paths.append(path)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--first", type=int, default=0)
    parser.add_argument("--count", type=int, default=2)
    args = parser.parse_args()
    for i in range(args.first, args.first + args.count):
        record = article(args.seed, i)
        print(f"# {record['title']}\n{record['published']} · {record['source']}\n")
        print(record["text"], end="\n\n")


if __name__ == "__main__":
    main()
