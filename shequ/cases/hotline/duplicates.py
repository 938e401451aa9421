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
from dataclasses import dataclass
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


_WIDE = re.compile("[\u3000\uff01-\uff5e]")  # full-width forms NFKC folds: "３号楼" is "3号楼"


def signature(text: str) -> frozenset[str]:
    """Character bigrams of the text without spaces, punctuation and set phrases:
    Chinese has no word breaks, and bigrams survive small rewordings and reordered clauses."""
    if _WIDE.search(text):  # NFKC costs as much as the rest: only where it changes something
        text = unicodedata.normalize("NFKC", text)
    folded = _BOILERPLATE.sub("", _NOISE.sub("", text.lower()))
    return frozenset(map(str.__add__, folded, folded[1:]))


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """Jaccard similarity of two signatures."""
    if not a or not b:
        return 0.0
    common = len(a & b)
    return common / (len(a) + len(b) - common)


class Candidate:
    """A case a later row may duplicate: an open case (``case_id``) or a row of the file (``row``)."""

    __slots__ = ("received_at", "at", "phone_digest", "description", "place", "prefixes", "number", "case_id", "row",
                 "_signature")

    def __init__(self, received_at: datetime, phone_digest: str, description: str, *, place: str = "",
                 prefixes: tuple[str, ...] = (), number: str = "", case_id: int | None = None, row: int | None = None):
        self.received_at, self.at = received_at, received_at.timestamp()
        self.phone_digest, self.description = phone_digest, description
        self.place = place  # area path: the complex, or a building, unit or house in it
        self.prefixes = prefixes or (place,)  # DuplicateFinder.prefixes(place, complex path)
        self.number, self.case_id, self.row = number, case_id, row
        self._signature: frozenset[str] | None = None

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
    """Candidates in order of receipt (times as POSIX seconds: bisect compares floats fast)."""

    __slots__ = ("times", "items")

    def __init__(self) -> None:
        self.times: list[float] = []
        self.items: list[Candidate] = []

    def add(self, candidate: Candidate) -> None:
        if not self.times or candidate.at >= self.times[-1]:  # the usual case: rows come in time order
            self.times.append(candidate.at)
            self.items.append(candidate)
            return
        position = bisect_right(self.times, candidate.at)
        self.times.insert(position, candidate.at)
        self.items.insert(position, candidate)

    def around(self, at: float, window: float) -> list[Candidate]:
        return self.items[bisect_left(self.times, at - window) : bisect_right(self.times, at + window)]


class _Bucket:
    """The candidates of one (complex, category), indexed so a row meets only those
    from its phone and those at a compatible place: the same spot, or one containing
    the other (the complex contains all its buildings; building 3 and building 5 of
    it, or two houses, do not contain each other)."""

    __slots__ = ("under", "exact", "by_phone")

    def __init__(self) -> None:
        self.under: dict[str, _Timeline] = {}  # path -> candidates at it or anywhere below it
        self.exact: dict[str, _Timeline] = {}  # path -> candidates exactly there
        self.by_phone: dict[str, list[Candidate]] = {}

    def add(self, candidate: Candidate) -> None:
        for path in candidate.prefixes:
            timeline = self.under.get(path)
            if timeline is None:
                timeline = self.under[path] = _Timeline()
            timeline.add(candidate)
        timeline = self.exact.get(candidate.place)
        if timeline is None:
            timeline = self.exact[candidate.place] = _Timeline()
        timeline.add(candidate)
        if candidate.phone_digest:
            self.by_phone.setdefault(candidate.phone_digest, []).append(candidate)

    def near(self, row: Candidate, window: float) -> list[Candidate]:
        """Candidates within ``window`` of the row at its place, below it, or above it."""
        found: list[Candidate] = []
        timeline = self.under.get(row.place)
        if timeline is not None:
            found.extend(timeline.around(row.at, window))
        for path in row.prefixes[:-1]:
            timeline = self.exact.get(path)
            if timeline is not None:
                found.extend(timeline.around(row.at, window))
        return found


class DuplicateFinder:
    def __init__(self, *, window: timedelta = WINDOW, threshold: float = SIMILARITY):
        self.window, self.threshold = window.total_seconds(), threshold
        self._open: dict[tuple[int, int], _Bucket] = {}
        self._file: dict[tuple[int, int], _Bucket] = {}
        self._prefixes: dict[str, tuple[str, ...]] = {}

    def prefixes(self, place: str, complex_path: str) -> tuple[str, ...]:
        """The paths from the complex down to ``place``: "/…/126/", "/…/126/200/", "/…/126/200/201/"
        (remembered: thousands of rows name the same few hundred houses)."""
        found = self._prefixes.get(place)
        if found is None:
            if not complex_path or not place.startswith(complex_path):
                found = (place,)
            else:
                paths, current = [complex_path], complex_path
                for part in place[len(complex_path):].split("/")[:-1]:
                    current += f"{part}/"
                    paths.append(current)
                found = tuple(paths)
            self._prefixes[place] = found
        return found

    def add_open_case(self, complex_id: int, category_id: int, candidate: Candidate) -> None:
        self._open.setdefault((complex_id, category_id), _Bucket()).add(candidate)

    def add_row(self, complex_id: int, category_id: int, candidate: Candidate) -> None:
        """A row that became (or will become) a live case: later rows may duplicate it."""
        self._file.setdefault((complex_id, category_id), _Bucket()).add(candidate)

    def match(self, complex_id: int, category_id: int, row: Candidate) -> Match | None:
        """The case ``row`` most probably repeats: a phone match before a wording match,
        an open case before a row of the file, then the most similar, then the nearest in time."""
        key = (complex_id, category_id)
        window, threshold = self.window, self.threshold
        best: tuple | None = None
        found: Match | None = None
        for rank, bucket in enumerate((self._open.get(key), self._file.get(key))):
            if bucket is None:
                continue
            for candidate in bucket.by_phone.get(row.phone_digest, ()) if row.phone_digest else ():
                apart = abs(candidate.at - row.at)
                if apart <= window:
                    score = (0, rank, 0.0, apart)
                    if best is None or score < best:
                        best, found = score, Match(candidate, "phone", 1.0)
            if found is not None:
                continue  # a wording match cannot beat a phone match
            mine = row.signature
            size = len(mine)
            if size < MIN_BIGRAMS:
                continue
            for candidate in bucket.near(row, window):
                theirs = candidate.signature
                other = len(theirs)
                # Jaccard <= shorter / longer: skip pairs that can never reach the threshold
                if other < size * threshold or size < other * threshold:
                    continue
                value = similarity(mine, theirs)
                if value >= threshold:
                    score = (1, rank, -value, abs(candidate.at - row.at))
                    if best is None or score < best:
                        best, found = score, Match(candidate, "description", value)
        return found
