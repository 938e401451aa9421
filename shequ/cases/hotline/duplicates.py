"""Probable duplicates: the same problem reported again while a case about it is open.

The rule (documented for staff on the upload page):

  A hotline row is a probable duplicate of a case when both are in the same
  complex and the same category, were received at most ``WINDOW`` (7 days)
  apart, and either came from the same phone number (compared by its keyed
  digest, never in clear) or describe the problem in nearly the same words
  (character-bigram Jaccard similarity of the descriptions >= ``SIMILARITY``,
  set phrases and particles left out, and the addresses not naming two
  different buildings or houses).

  The case can be an open case already in the platform, or an earlier row of
  the same file (rows are compared in the order they were received).

On import the duplicate is still stored, with its ticket number, so the hotline
gets its answer, but as a ``merged`` case pointing at the case that carries on
(``merged_into``); it never becomes a second live case. Candidates are loaded
once per file, keyed by (complex, category), and compared in memory.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from datetime import datetime, timedelta

WINDOW = timedelta(days=7)
SIMILARITY = 0.6
#: descriptions shorter than this (in bigrams) are too short to call "the same words"
MIN_BIGRAMS = 6

_NOISE = re.compile(r"[\W_]+", re.UNICODE)
#: the operators' set phrases and the particles that rewordings add or drop: they say
#: nothing about the problem, and two different problems told in the same phrases
#: would otherwise look alike
_BOILERPLATE = re.compile(
    "|".join(("市民来电反映", "来电人反映", "来电反映", "市民反映", "诉求人反映", "来电人称", "来电称", "该小区", "希望尽快处理",
              "要求尽快处理", "希望尽快解决", "要求尽快解决", "请相关部门", "请尽快处理", "希望相关部门", "予以解决",
              "予以处理", "[的了吗呢啊吧着呀嘛哦]"))
)


def signature(text: str) -> frozenset[str]:
    """Character bigrams of the text without spaces, punctuation and set phrases:
    Chinese has no word breaks, and bigrams survive small rewordings and reordered clauses."""
    folded = _BOILERPLATE.sub("", _NOISE.sub("", unicodedata.normalize("NFKC", text).lower()))
    return frozenset(folded[i : i + 2] for i in range(len(folded) - 1))


def same_place(a: str, b: str) -> bool:
    """Do two area paths allow the same spot? The complex allows any of its buildings;
    building 3 and building 5 of it do not allow each other."""
    return not a or not b or a.startswith(b) or b.startswith(a)


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    common = len(a & b)
    return common / (len(a) + len(b) - common)


@dataclass
class Candidate:
    """A case a later row may duplicate: an open case (``case_id``) or a row of the file (``row``)."""

    received_at: datetime
    phone_digest: str
    description: str
    place: str = ""  # area path: the complex, or a building, unit or house in it
    number: str = ""
    case_id: int | None = None
    row: int | None = None
    _signature: frozenset[str] | None = field(default=None, repr=False)

    @property
    def signature(self) -> frozenset[str]:
        if self._signature is None:
            self._signature = signature(self.description)
        return self._signature


@dataclass(frozen=True)
class Match:
    candidate: Candidate
    reason: str  # "phone" or "description"
    similarity: float


class _Timeline:
    """Candidates of one (complex, category), in order of receipt."""

    __slots__ = ("times", "items", "by_phone")

    def __init__(self) -> None:
        self.times: list[datetime] = []
        self.items: list[Candidate] = []
        self.by_phone: dict[str, list[Candidate]] = {}

    def add(self, candidate: Candidate) -> None:
        position = bisect_right(self.times, candidate.received_at)
        self.times.insert(position, candidate.received_at)
        self.items.insert(position, candidate)
        if candidate.phone_digest:
            self.by_phone.setdefault(candidate.phone_digest, []).append(candidate)

    def around(self, moment: datetime, window: timedelta) -> list[Candidate]:
        return self.items[bisect_left(self.times, moment - window) : bisect_right(self.times, moment + window)]


class DuplicateFinder:
    def __init__(self, *, window: timedelta = WINDOW, threshold: float = SIMILARITY):
        self.window, self.threshold = window, threshold
        self._open: dict[tuple[int, int], _Timeline] = {}
        self._file: dict[tuple[int, int], _Timeline] = {}

    def add_open_case(self, complex_id: int, category_id: int, candidate: Candidate) -> None:
        self._open.setdefault((complex_id, category_id), _Timeline()).add(candidate)

    def add_row(self, complex_id: int, category_id: int, candidate: Candidate) -> None:
        """A row that became (or will become) a live case: later rows may duplicate it."""
        self._file.setdefault((complex_id, category_id), _Timeline()).add(candidate)

    def match(self, complex_id: int, category_id: int, row: Candidate) -> Match | None:
        """The case ``row`` most probably repeats: a phone match before a wording match,
        an open case before a row of the file, then the most similar, then the nearest in time."""
        key = (complex_id, category_id)
        best: tuple | None = None
        found: Match | None = None
        for rank, timeline in enumerate((self._open.get(key), self._file.get(key))):
            if timeline is None:
                continue
            for candidate in timeline.by_phone.get(row.phone_digest, ()) if row.phone_digest else ():
                if abs(candidate.received_at - row.received_at) <= self.window:
                    score = (0, rank, 0.0, abs(candidate.received_at - row.received_at))
                    if best is None or score < best:
                        best, found = score, Match(candidate, "phone", 1.0)
            if found is not None and found.reason == "phone":
                continue  # a wording match cannot beat a phone match
            mine = row.signature
            if len(mine) < MIN_BIGRAMS:
                continue
            for candidate in timeline.around(row.received_at, self.window):
                if not same_place(row.place, candidate.place):
                    continue
                theirs = candidate.signature
                shorter, longer = sorted((len(mine), len(theirs)))
                if not longer or shorter / longer < self.threshold:
                    continue  # Jaccard can never reach the threshold
                value = similarity(mine, theirs)
                if value >= self.threshold:
                    score = (1, rank, -value, abs(candidate.received_at - row.received_at))
                    if best is None or score < best:
                        best, found = score, Match(candidate, "description", value)
        return found
