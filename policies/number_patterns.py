"""Voice route number patterns (ACS Direct Routing) read as regular languages.

A voice route's `numberPattern` is a .NET regular expression that "should match only digits with an
optional '+' prefix without spaces" (the SIP routing API, `TrunkRoute.numberPattern`, such as
`^\\+[1-9][0-9]{3,23}$`). ACS tries the routes in their order: a route whose pattern matches the dialled
number takes the call to one of its trunks, and when every trunk of that route is unavailable the next
matching route is tried (Microsoft, "Quickstart: Configure voice routing programmatically"; the API's
`SipConfiguration`: "routes are applied in the same order as in the routes list").

This module turns a pattern into a finite state machine (`interegular`) and answers, exactly, for the
patterns it reads:

- `read(pattern)`: whether the pattern can only match digits with an optional leading `+`, and matches
  at least one phone number; a `NumberPatternError` says why not;
- `unreachable(routes)`: which routes can never carry a call: for each of its trunks, the earlier routes
  on that trunk already match every number the route matches, so it is tried only when its own
  trunks are known to be unavailable. A later route with the same pattern and another trunk is
  Microsoft's documented failover, and is reachable.

The forms read (`FORMS`): literal digits and `\\+`, `\\d`, character classes (`[0-9]`, `[2-9]`, `[+\\d]`,
`[^...]`), groups `(...)`, `(?:...)` and named `(?<name>...)`, alternation `|`, the quantifiers `?`, `*`,
`+`, `{m}`, `{m,}`, `{m,n}` (lazy or not), and the anchors `^` and `$`. Anything else (lookarounds,
backreferences, inline options, `\\b`, `\\A`, `\\z`, a `{` that is not a quantifier...) is not read: the
configuration refuses such a pattern, and the policy leaves it unjudged.

Where no anchor pins a pattern, .NET finds it anywhere in the number (`Regex.IsMatch`). Microsoft does not
say whether ACS matches that way or the whole number, so a route is reported unreachable only when it
is unreachable both ways: never a false verdict for an unanchored pattern. With `^...$` the two agree.

A leaf of the pack: the standard library and interegular only (policies/requirements.txt). The stack
configuration imports it from here, as it does `shared_facts.py`, so both judge a pattern alike.
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

from interegular import FSM, InvalidSyntax, Unsupported, parse_pattern

FORMS = (
    "digits, \\+, \\d, character classes such as [0-9], groups (...) (?:...) (?<name>...), alternation |, "
    "quantifiers ? * + {m} {m,} {m,n}, and the anchors ^ and $"
)

# The anchors ^ and $ become the characters \x02 and \x03, which no number holds: a number n is matched
# where "\x02n\x03" is (_translate).
_ESCAPED_CLASSES = frozenset("dDsSwW")
_QUANTIFIER = re.compile(r"\{(\d+)(,(\d*))?\}")
_GROUP_NAME = re.compile(r"\(\?(?:P?<(\w+)>|'(\w+)')")
# How many copies of its elements a pattern's counted repeats unroll to, at most: a phone number has at
# most 15 digits (E.164), and a state machine of nested repeats such as (\d{1,30}){1,30} takes seconds.
SIZE_MAX = 500


class NumberPatternError(ValueError):
    """A pattern outside the forms read, or one that can match something other than a phone number."""


@dataclass(frozen=True)
class NumberPattern:
    text: str
    searched: FSM  # the numbers it matches found anywhere in the number (.NET's Regex.IsMatch)
    whole: FSM  # the numbers it matches as a whole


@dataclass(frozen=True)
class Route:
    name: str
    pattern: NumberPattern | None  # None: not read (unknown in a preview, or outside the forms)
    trunks: frozenset[str]  # lower case


def _escape(text: str, i: int) -> tuple[str, int]:
    """The escape at text[i] (a backslash) as interegular reads it, and where it ends."""
    if i + 1 >= len(text):
        raise NumberPatternError("ends with a lone backslash")
    char = text[i + 1]
    if char in _ESCAPED_CLASSES:
        return text[i : i + 2], i + 2
    if char == "x" and re.fullmatch(r"[0-9A-Fa-f]{2}", text[i + 2 : i + 4]):
        if int(text[i + 2 : i + 4], 16) < 0x20:
            raise NumberPatternError(f"uses {text[i : i + 4]}, a control character no number holds")
        return text[i : i + 4], i + 4
    if not char.isalnum() and char != "_":
        return text[i : i + 2], i + 2  # an escaped sign: \+ \. \( ...
    raise NumberPatternError(f"uses \\{char}, which the check does not read; it reads {FORMS}")


def _class(text: str, i: int) -> tuple[str, int]:
    """The character class at text[i] ('['), and where it ends."""
    j = i + 1
    if text[j : j + 1] == "^":
        j += 1
    if text[j : j + 1] == "]":
        raise NumberPatternError("starts a character class with ']'; write it \\]")
    parts = [text[i:j]]
    while j < len(text) and text[j] != "]":
        if text[j] == "\\":
            escaped, j = _escape(text, j)
            parts.append(escaped)
        elif text.startswith("-[", j) or text[j] == "[":
            raise NumberPatternError(
                "nests a character class (a .NET class subtraction), which the check does not read"
            )
        else:
            parts.append(text[j])
            j += 1
    if j >= len(text):
        raise NumberPatternError("leaves a character class open ('[' without ']')")
    return "".join(parts) + "]", j + 1


class _Size:
    """The elements a pattern unrolls to: each group's count, and the last element's, for a quantifier."""

    def __init__(self) -> None:
        self.frames = [[0, 0]]  # [elements so far, elements of the last one]

    def element(self) -> None:
        self.frames[-1][0] += 1
        self.frames[-1][1] = 1

    def open(self) -> None:
        self.frames.append([0, 0])

    def close(self) -> None:
        if len(self.frames) > 1:  # an unbalanced ')' is Python's error to report
            inner = self.frames.pop()[0]
            self.frames[-1][0] += inner
            self.frames[-1][1] = inner

    def repeat(self, copies: int) -> None:
        frame = self.frames[-1]
        frame[0] += frame[1] * (copies - 1)
        frame[1] *= copies

    @property
    def total(self) -> int:
        return sum(frame[0] for frame in self.frames)


def _translate(text: str) -> tuple[str, str]:
    """(the pattern in Python's syntax, the pattern for the state machine with the anchors as characters),
    or NumberPatternError for a form outside those read."""
    if any(ord(char) < 0x20 for char in text):
        raise NumberPatternError("has a control character, which no number holds")
    python, machine = [], []
    size = _Size()
    i = 0
    while i < len(text):
        char = text[i]
        if char not in "()|?*+{":
            size.element()
        if char == "\\":
            piece, i = _escape(text, i)
            python.append(piece)
            machine.append(piece)
        elif char == "[":
            piece, i = _class(text, i)
            python.append(piece)
            machine.append(piece)
        elif char == "(" and text.startswith("(?", i):
            named = _GROUP_NAME.match(text, i)
            if named:  # .NET's (?<name>...) and (?'name'...), Python's (?P<name>...): a group like any
                python.append(f"(?P<{named.group(1) or named.group(2)}>")
                machine.append("(?:")
                size.open()
                i = named.end()
            elif text.startswith("(?:", i):
                python.append("(?:")
                machine.append("(?:")
                size.open()
                i += 3
            else:
                raise NumberPatternError(
                    f"uses {text[i : i + 4]!r}...: lookarounds, inline options, comments, atomic and conditional "
                    f"groups are not read; the check reads {FORMS}"
                )
        elif char == "{":
            quantifier = _QUANTIFIER.match(text, i)
            if not quantifier:
                raise NumberPatternError(
                    "has a '{' that is not a quantifier {m}, {m,} or {m,n} (.NET would read it as a literal '{')"
                )
            python.append(quantifier.group())
            machine.append(quantifier.group())
            low, comma, high = quantifier.group(1, 2, 3)
            size.repeat(int(high) if high else int(low) + 1 if comma else int(low))
            i = quantifier.end()
        elif char in "^$":
            python.append(char)
            anchor = "\\x02" if char == "^" else "\\x03"
            if not (machine and machine[-1] == anchor):  # ^^ is ^
                machine.append(anchor)
            i += 1
        else:
            if char == "(":
                size.open()
            elif char == ")":
                size.close()
            python.append(char)
            machine.append(char)
            i += 1
    if size.total > SIZE_MAX:
        raise NumberPatternError(
            f"is too large to check: its counted repeats unroll to {size.total} elements, at most {SIZE_MAX} "
            "are read (a phone number has at most 15 digits)"
        )
    return "".join(python), "".join(machine)


@cache
def _machine(pattern: str) -> FSM:
    return parse_pattern(pattern).to_fsm()


def _allowed() -> FSM:
    """What a pattern may match: digits with an optional leading +, anchored or not."""
    return _machine(r"\x02?\+?[0-9]*\x03?")


def _numbers() -> FSM:
    """Every phone number, between the anchors."""
    return _machine(r"\x02\+?[0-9]+\x03")


@cache
def read(pattern: str) -> NumberPattern:
    """The pattern read, or NumberPatternError saying why it is not a phone number pattern."""
    python, machine = _translate(pattern)
    try:
        re.compile(python)
    except re.error as error:
        raise NumberPatternError(f"is not a valid regular expression ({error})") from None
    try:
        matched = parse_pattern(machine).to_fsm()
    except (InvalidSyntax, Unsupported, NotImplementedError, ValueError):
        raise NumberPatternError(f"uses a form the check does not read; it reads {FORMS}") from None
    if not (matched - _allowed()).empty():
        raise NumberPatternError(
            "can match text other than digits with an optional leading '+' (letters, spaces, '.', or a '+' "
            "after a digit), which ACS does not take"
        )
    anything = _machine(r"[\s\S]*")
    searched = (anything + matched + anything) & _numbers()
    whole = (_machine(r"\x02?") + matched + _machine(r"\x03?")) & _numbers()
    if whole.empty():
        raise NumberPatternError("matches no phone number: it can only match '+' or nothing")
    return NumberPattern(pattern, searched, whole)


def read_or_none(pattern: object) -> NumberPattern | None:
    """The pattern read, or None where it is not a string or not read."""
    if not isinstance(pattern, str):
        return None
    try:
        return read(pattern)
    except NumberPatternError:
        return None


def _unreachable_by(route: Route, earlier: Sequence[Route], language: str) -> bool:
    """Whether, matching by `language` ('searched' or 'whole'), every number `route` matches is matched
    by earlier routes on each of its trunks: tried only once all its own trunks were found unavailable."""
    assert route.pattern is not None
    covered: FSM | None = None
    for trunk in route.trunks:
        on_trunk = [getattr(r.pattern, language) for r in earlier if r.pattern is not None and trunk in r.trunks]
        if not on_trunk:
            return False
        union = FSM.union(*on_trunk) if len(on_trunk) > 1 else on_trunk[0]
        covered = union if covered is None else covered & union
    return covered is not None and (getattr(route.pattern, language) - covered).empty()


def unreachable(routes: Iterable[Route]) -> list[tuple[int, Route, list[Route]]]:
    """(position, route, the earlier routes that take its numbers on its trunks) for each route that can
    never carry a call. Routes not read are never judged, and never count as taking numbers."""
    ordered = list(routes)
    found = []
    for index, route in enumerate(ordered):
        if route.pattern is None or not route.trunks:
            continue
        earlier = ordered[:index]
        if _unreachable_by(route, earlier, "searched") and _unreachable_by(route, earlier, "whole"):
            takers = [
                r
                for r in earlier
                if r.pattern is not None
                and r.trunks & route.trunks
                and not (r.pattern.searched & route.pattern.searched).empty()
            ]
            found.append((index, route, takers))
    return found
