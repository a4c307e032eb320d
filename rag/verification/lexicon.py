"""Word lists the structural checks read: negation, antonyms, hedges, connectives, number words.

Kept as data in one place so a reviewer can see exactly what the verifier knows about English.
Every entry is lower-case; multi-word cues are matched as phrases on word boundaries.
"""

from __future__ import annotations

# A cue that flips the polarity of the words it governs ("not ready", "ruled out sending").
NEGATION = frozenset(
    """
    not no never none nothing nobody neither nor without cannot can't won't don't doesn't
    didn't isn't aren't wasn't weren't hasn't haven't hadn't wouldn't shouldn't couldn't n't
    """.split()
)
# Verbs whose meaning is a negation of their complement: "rules out sending" ~ "will not send".
NEGATIVE_VERBS = frozenset(
    """
    rule ruled rules ruling refuse refused refuses refusing reject rejected rejects rejecting
    deny denied denies denying decline declined declines oppose opposed opposes opposing
    fail failed fails halt halted stop stopped stops lack lacks lacked object objects objected
    objecting abandon abandoned abandons renounce renounced renounces
    """.split()
)

# Pairs that contradict each other when the rest of the clause agrees. Written as base forms;
# the checker compares Snowball stems, so "accepts"/"accepted" hit "accept".
ANTONYM_PAIRS = [
    ("accept", "reject"),
    ("agree", "refuse"),
    ("agree", "reject"),
    ("willing", "unwilling"),
    ("willing", "rule"),
    ("ready", "unready"),
    ("support", "oppose"),
    ("support", "against"),
    ("increase", "decrease"),
    ("increase", "reduce"),
    ("increase", "cut"),
    ("rise", "fall"),
    ("raise", "lower"),
    ("escalate", "ease"),
    ("strengthen", "weaken"),
    ("expand", "reduce"),
    ("start", "end"),
    ("start", "stop"),
    ("begin", "end"),
    ("continue", "stop"),
    ("continue", "halt"),
    ("continue", "end"),
    ("maintain", "drop"),
    ("win", "lose"),
    ("confirm", "deny"),
    ("allow", "ban"),
    ("allow", "forbid"),
    ("allow", "prevent"),
    ("include", "exclude"),
    ("join", "leave"),
    ("join", "quit"),
    ("close", "far"),
    ("near", "far"),
    ("optimist", "pessimist"),
    ("optimism", "pessimism"),
    ("known", "unknown"),
    ("clear", "unclear"),
    ("formal", "informal"),
    ("formally", "informally"),
    ("success", "failure"),
    ("succeed", "fail"),
    ("public", "private"),
    ("first", "last"),
    ("before", "after"),
    ("early", "late"),
    ("earlier", "later"),
    ("more", "less"),
    ("more", "fewer"),
    ("most", "least"),
    ("major", "minor"),
    ("strong", "weak"),
    ("same", "different"),
    ("easy", "difficult"),
    ("possible", "impossible"),
    ("relevant", "irrelevant"),
    ("necessary", "unnecessary"),
    ("legal", "illegal"),
    ("defend", "attack"),
    ("ally", "enemy"),
    ("lift", "impose"),
    ("ease", "tighten"),
    ("open", "close"),
    ("reserved", "confident"),
    ("cautious", "confident"),
    ("cautious", "optimistic"),
    ("in", "out"),
    ("land", "sea"),
    ("land", "air"),
    ("sea", "air"),
    ("north", "south"),
    ("east", "west"),
    ("buy", "sell"),
    ("import", "export"),
    ("send", "receive"),
    ("give", "receive"),
    ("lend", "borrow"),
    ("attend", "miss"),
    ("remotely", "person"),
    ("virtual", "person"),
    ("expel", "welcome"),
]

# Words that make a statement a possibility, intention or condition rather than a fact: a claim
# stated as fact is not supported by a passage that only hedges it ("would be willing to send"
# does not say "will send").
HEDGES = frozenset(
    """
    may might could willing willingness potentially plan plans planned planning intend intends
    intended intention aim aims aimed aiming hope hopes hoped expect expects expected
    propose proposes proposed proposal consider considers considering considered possible
    possibly perhaps likely unlikely if whether should seek seeks sought want wants wanted
    ready prepared try tries tried attempt attempts attempted suggest suggests suggested
    """.split()
)
# "will" and "would" alternate in reported speech ("said it will" / "said it would"): they are
# not hedges of each other.
REPORTING_MODALS = frozenset({"will", "would", "shall"})

# Connectives that assert a relation between two facts. A claim that asserts one must find the
# same kind of relation in its evidence: two true facts joined by an invented "because" are
# not supported.
CAUSAL = frozenset(
    """
    because since so therefore thus hence consequently due caused causes cause causing
    result resulted results response reaction order prompting prompted led leads lead
    owing thanks reason
    """.split()
)
CAUSAL_PHRASES = (
    "because of",
    "due to",
    "as a result",
    "in response to",
    "in reaction to",
    "in order to",
    "so that",
    "led to",
    "leading to",
    "which is why",
    "owing to",
    "thanks to",
    "that is why",
    "for that reason",
    "in retaliation",
    "prompted by",
    "as a consequence",
)
TEMPORAL = frozenset(
    """
    after before following followed earlier later then until afterwards previously prior
    subsequently once when while during ahead
    """.split()
)
# Connective words whose presence in evidence counts as the same kind of relation.
EVIDENCE_CAUSAL = CAUSAL | {"because", "as", "since", "why", "to", "so", "aim", "aiming", "given"}
EVIDENCE_TEMPORAL = TEMPORAL | {"after", "before", "on", "since", "first", "then", "ahead"}

UNITS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
SCALES = {
    "hundred": 100,
    "thousand": 1000,
    "million": 1_000_000,
    "mn": 1_000_000,
    "billion": 1_000_000_000,
    "bn": 1_000_000_000,
}
# Words that fill the same slot: one in a claim where the evidence has another is a swap
# ("in a month" for "in a year", "on Tuesday" for "on Wednesday").
SLOTS = [
    {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"},
    {
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    },
    {"day", "week", "month", "year", "decade", "daily", "weekly", "monthly", "yearly", "annual"},
    {"spring", "summer", "autumn", "winter"},
    {"morning", "afternoon", "evening"},
    {"land", "sea", "air"},
    {"kilometres", "kilometers", "miles", "metres", "meters"},
    {"euros", "dollars", "hryvnias", "pounds"},
    # "no second invasion" is not "no third invasion"
    {"first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth"},
]
# Weekdays, months and seasons: the words that date something by name.
CALENDAR = frozenset(SLOTS[0] | SLOTS[1] | SLOTS[3])
# Counting words that stand for a number ("a dozen", "a pair").
COUNT_WORDS = {"dozen": 12, "pair": 2, "couple": 2, "half": 0.5}
# "first" is left out: it is as often "initial", "original" or "earliest" as a count.
ORDINALS = frozenset("second third fourth fifth sixth seventh eighth ninth tenth".split())
# A bound before a claim's number and what it lets the evidence's number be: "more than two
# dozen" is backed by "about 26". Approximations allow a tenth either way.
BOUNDS = {
    tuple(words.split()): kind
    for words, kind in (
        ("more than", "gt"), ("over", "gt"), ("at least", "ge"), ("fewer than", "lt"),
        ("less than", "lt"), ("under", "lt"), ("up to", "le"), ("nearly", "near_below"),
        ("almost", "near_below"), ("about", "about"), ("around", "about"),
        ("roughly", "about"), ("some", "about"), ("approximately", "about"),
    )
}  # fmt: skip

# Words a claim may carry that need no counterpart in the evidence: reporting verbs and
# discourse glue. A claim's content words are all accounted for except these.
LIGHT = frozenset(
    """
    say said says saying state stated states stating add added adds note noted notes tell told
    tells report reported reports according also still just even already meanwhile however
    article articles piece report coverage mr mrs ms president's
    """.split()
)

# Near-synonyms news writing swaps freely; a claim's word matches any of its group. Kept short
# and literal: MiniLM word similarity could not separate these (0.3-0.55) from antonyms and
# co-hyponyms (accept/reject 0.61, Belgium/Italy 0.61, Monday/Tuesday 0.87).
SYNONYMS = [
    {"troops", "soldiers", "forces", "military", "army"},
    {"talks", "negotiations", "discussions", "meeting", "conference", "summit"},
    {"pledged", "committed", "promised", "vowed", "undertook"},
    {"lead", "led", "head", "headed", "chair", "chaired", "leadership"},
    {"said", "stated", "told", "added", "noted", "remarked", "declared"},
    {"plan", "proposal", "project", "plans", "proposals"},
    {"deal", "agreement", "settlement", "accord"},
    {"ceasefire", "truce", "halt", "cessation"},
    {"pressure", "pressuring", "pressing"},
    {"attack", "attacks", "strikes", "assault", "offensive"},
    {"finalise", "finalize", "complete", "completed", "finish", "finalised", "finalized"},
    {"support", "backing", "backed", "supported", "help", "aid"},
    {"country", "countries", "nation", "nations", "state", "states"},
    {"president", "leader", "head", "chief"},
    {"close", "near", "nearly"},
    {"violated", "broken", "broke", "breached"},
    {"commitments", "obligations", "promises", "pledges"},
    {"reduce", "shrink", "cut"},
    {"basis", "foundation", "starting"},
    {"reserved", "cautious", "guarded"},
    {"willingness", "readiness", "willing", "ready"},
    {"delay", "postpone", "stall"},
    {"necessary", "needed", "essential", "required", "indispensable", "inevitable"},
    {"participate", "participation", "involved", "involvement", "part", "join", "joined"},
    {"announced", "unveiled", "declared"},
    {"sanctions", "penalties"},
    {"envoy", "emissary", "representative"},
    {"spokesman", "spokeswoman", "spokesperson"},
    {"officials", "authorities"},
    {"greets", "greeted", "welcomes", "welcomed"},
    {"start", "starts", "started", "begin", "begins", "began", "begun"},
    {"repair", "repaired", "fix", "fixed"},
    {"oppose", "opposed", "opposes", "object", "objects", "objected"},
    {"maintain", "maintained", "keep", "kept", "sustain", "sustained"},
    {"construction", "building"},
]
