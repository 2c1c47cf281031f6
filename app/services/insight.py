"""The guided N=1 insight: its parts, what each must hold, and the placeholder rule.

The creator is walked through nine parts, in this order (PARTS): the scene (when, where, with
whom, under what constraint), the conflict (what they worry about, want to avoid), the person's
own words (a quote), success (what they would be glad of), how a prototype would be judged
(what would make them say "yes, this"), "why?" three times (each answer building on the last),
and the core in one line ("For <who>, when <situation>, who want <purpose>, this <idea> ...").

What is required, and when (documented in README "The guided insight"):

- **While drafting** every part is optional; what is written is checked against its maximum
  length and the placeholder rule (a draft may be short, it may not be "test").
- **To submit** (and for a refinement after publishing) REQUIRED parts must be present, reach
  their minimum weight and not be placeholder text; RECOMMENDED parts are checked when given
  and listed on the checklist when missing. A part may not repeat another part word for word.

Length is a *weight*: characters not counting spaces, a CJK character (kanji, kana, full-width)
counting two, so that a Japanese sentence and an English one of the same content pass alike.

The three parts of the first version (situation, emotion, purpose) are the scene, the conflict
and success (LEGACY): they are still accepted and returned (the API's `insight`), and the
columns are kept equal to those parts (app.models.ideas).
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l

from app.i18n import _

#: The parts, in the order the form walks through them.
PARTS = ("scene", "conflict", "own_words", "success", "judged_by", "why_1", "why_2", "why_3",
         "core")
WHYS = ("why_1", "why_2", "why_3")
#: The first version's fields -> the part that holds them now.
LEGACY = {"situation": "scene", "emotion": "conflict", "purpose": "success"}
#: Part -> minimum weight, for the parts a submission needs.
REQUIRED = {"scene": 30, "conflict": 15, "success": 15, "why_1": 15, "why_2": 15, "why_3": 15,
            "core": 30}
#: Part -> minimum weight when given; missing ones are listed as recommended.
RECOMMENDED = {"own_words": 6, "judged_by": 15}
PART_MAX = 2_000
CORE_MAX = 300

LABELS = {
    "scene": _l("The scene"), "conflict": _l("The conflict"), "own_words": _l("In their own words"),
    "success": _l("Success"), "judged_by": _l("How a prototype would be judged"),
    "why_1": _l("Why? (1)"), "why_2": _l("Why? (2)"), "why_3": _l("Why? (3)"),
    "core": _l("The core in one line"),
}
QUESTIONS = {
    "scene": _l("When and where does it happen, with whom, under what constraint?"),
    "conflict": _l("What do they worry about? What do they want to avoid?"),
    "own_words": _l("What did they say, in their words? A real quote."),
    "success": _l("What would they be glad of? What does a good day look like?"),
    "judged_by": _l("What would make them say \u201cyes, this\u201d when they try a prototype?"),
    "why_1": _l("Why does that matter to them?"),
    "why_2": _l("And why does that matter? Build on your last answer."),
    "why_3": _l("And why, once more? This is usually the real reason."),
    "core": _l("For [who], when [situation], who want [purpose], this [idea] ..."),
}
EXAMPLES = {
    "scene": _l("Weekday mornings at 7:40, Aiko (34) takes her 2-year-old on a packed train "
                "to nursery, a folded buggy in one hand, no seat free."),
    "conflict": _l("She dreads her son crying and the looks from other passengers; she wants "
                   "to avoid taking up space or making people move."),
    "own_words": _l("\u201cI just want to get through those twenty minutes without apologising "
                    "to anyone.\u201d"),
    "success": _l("Arriving calm, with her son content, without having bothered anybody."),
    "judged_by": _l("If she can hold him and the bag with one arm for a whole ride and still "
                    "reach the strap, she would say yes."),
    "why_1": _l("Because the ride sets the mood for her whole working day."),
    "why_2": _l("Because a bad start makes her feel she is failing both as a parent and at work."),
    "why_3": _l("Because she wants to feel she belongs in the city with a child, not that she "
                "is a nuisance in it."),
    "core": _l("For parents who commute with a toddler, when the train is packed, who want to "
               "feel they belong, this hands-free carrier makes the ride calm for everyone."),
}
#: The core's skeleton, offered to start from (the form's "Use the template" button).
CORE_TEMPLATE = _l("For …, when …, who want …, this … ")

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff01-\uff9f"
                  r"\uac00-\ud7af]")
#: Whole texts that are placeholders (compared letters and digits only, case-folded, NFKC).
PLACEHOLDER_WORDS = frozenset("""
test tests testing tester testtest asdf asdfg asdfgh qwerty qwer zxcv foo bar baz foobar qux
hoge fuga piyo hogehoge lorem ipsum dolor loremipsum xxx xxxx x xx y z tbd tba todo fixme na
none nothing null nil undefined sample dummy placeholder example blah blahblah blabla abc abcd
abcdef hello hi hey ok okay yes no idk nope something whatever stuff thing things text content
description situation emotion purpose scene conflict success why core insight
テスト てすと ダミー サンプル 未定 なし 無し ほげ ふが ぴよ ほげほげ あ ああ てすと 例 れい 内容 なにか 何か
""".split())
_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm", "1234567890", "abcdefghijklmnopqrstuvwxyz",
         "あいうえおかきくけこさしすせそたちつてとなにぬねのはひふへほまみむめもやゆよらりるれろわをん",
         "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワヲン")
_REPEATED_UNIT = re.compile(r"(.{1,4}?)\1+")


def weight(text: str) -> int:
    """The length a minimum is measured in: characters without spaces, CJK counting two."""
    return sum(2 if _CJK.match(ch) else 1 for ch in text if not ch.isspace())


def _letters(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).casefold() if ch.isalnum())


def is_placeholder(text: str) -> bool:
    """Whether the text is a stand-in rather than content: only punctuation or digits; a known
    placeholder word or a run of them ("test", "asdf", "lorem ipsum", "テスト", "未定"); lorem
    ipsum anywhere; at most two different characters ("aaaa", "abab", "あああ"); a short unit
    repeated ("testtest", "hahaha"); a run of a keyboard row, the alphabet or the kana order
    ("qwerty", "abcde", "あいうえお")."""
    letters = _letters(text)
    if not letters or letters.isdigit():
        return True
    if letters in PLACEHOLDER_WORDS or "loremipsum" in letters:
        return True
    words = [_letters(word) for word in text.split()]
    if all(word in PLACEHOLDER_WORDS for word in words if word):
        return True
    if len(set(letters)) <= 2:
        return True
    if _REPEATED_UNIT.fullmatch(letters):
        return True
    return len(letters) >= 3 and len(letters) <= 12 and any(letters in row for row in _ROWS)


def column(part: str) -> str:
    return f"insight_{part}"


def read(idea: Any) -> dict[str, str]:
    """The idea's parts (part -> text)."""
    return {part: getattr(idea, column(part)) or "" for part in PARTS}


def as_json(idea: Any) -> dict[str, Any]:
    """The API's `insight`: the parts (whys as a list of three) and the first version's names."""
    parts = read(idea)
    return {"scene": parts["scene"], "conflict": parts["conflict"],
            "own_words": parts["own_words"], "success": parts["success"],
            "judged_by": parts["judged_by"], "whys": [parts[why] for why in WHYS],
            "core": parts["core"],
            **{old: parts[new] for old, new in LEGACY.items()}}


def parts_from(data: Mapping[str, Any]) -> dict[str, Any]:
    """Parts from input that may use the first version's names (situation, emotion, purpose)
    or `whys` as a list; a part given under its own name wins. Values are left as given (the
    cleaning checks their type)."""
    parts: dict[str, Any] = {}
    for old, new in LEGACY.items():
        if old in data and data[old] is not None:
            parts[new] = data[old]
    whys = data.get("whys")
    if isinstance(whys, list | tuple):
        for why, value in zip(WHYS, whys):
            if value is not None:
                parts[why] = value
    for part in PARTS:
        if part in data and data[part] is not None:
            parts[part] = data[part]
    return parts


def _limit(part: str) -> int:
    return CORE_MAX if part == "core" else PART_MAX


def clean_text(part: str, value: Any) -> tuple[str | None, str | None]:
    """The part's text cleaned (stripped, CRLF -> LF; the core on one line), or the error."""
    if not isinstance(value, str):
        return None, _("Must be a string.")
    value = value.replace("\r\n", "\n").strip()
    if part == "core":
        value = " ".join(value.split())
    if "\x00" in value:
        return None, _("Contains a character that is not allowed.")
    if len(value) > _limit(part):
        return None, _("At most %(n)s characters.", n=_limit(part))
    if value and is_placeholder(value):
        return None, _("This looks like placeholder text. Write what is true for the person, "
                       "in a sentence.")
    return value, None


def minimum(part: str) -> int:
    return REQUIRED.get(part) or RECOMMENDED.get(part) or 0


@dataclass(frozen=True)
class Check:
    """One line of the checklist: the part, its state and the message when it is not ok."""

    part: str
    state: str  # ok | missing | too_short | placeholder | repeats | recommended
    message: str = ""

    @property
    def label(self) -> str:
        return str(LABELS[self.part])

    @property
    def required(self) -> bool:
        return self.part in REQUIRED

    @property
    def css_class(self) -> str:
        """done, todo (needed before submitting, or wrong) or optional (recommended)."""
        if self.state == "ok":
            return "done"
        return "optional" if self.state == "recommended" else "todo"


def _repeats(parts: Mapping[str, str]) -> dict[str, str]:
    """Part -> the earlier part it repeats word for word."""
    seen: dict[str, str] = {}
    repeats: dict[str, str] = {}
    for part in PARTS:
        letters = _letters(parts.get(part) or "")
        if not letters:
            continue
        if letters in seen:
            repeats[part] = seen[letters]
        else:
            seen[letters] = part
    return repeats


def checklist(parts: Mapping[str, str]) -> list[Check]:
    """Every part's state for a submission, in the form's order."""
    repeats = _repeats(parts)
    checks = []
    for part in PARTS:
        text = (parts.get(part) or "").strip()
        need = minimum(part)
        if not text:
            if part in REQUIRED:
                checks.append(Check(part, "missing", _("Required before you submit.")))
            else:
                checks.append(Check(part, "recommended", _("Recommended.")))
        elif is_placeholder(text):
            checks.append(Check(part, "placeholder", _(
                "This looks like placeholder text. Write what is true for the person, in a "
                "sentence.")))
        elif part in repeats:
            checks.append(Check(part, "repeats", _("This repeats \u201c%(other)s\u201d: each "
                                                   "part says something new.",
                                                   other=LABELS[repeats[part]])))
        elif weight(text) < need:
            checks.append(Check(part, "too_short", _(
                "Too short: at least %(n)s characters (a Japanese character counts two).",
                n=need)))
        else:
            checks.append(Check(part, "ok"))
    return checks


def problems(parts: Mapping[str, str]) -> dict[str, str]:
    """Part -> what stops a submission (required parts missing or short, any part placeholder
    or repeating another); empty when the insight may be submitted."""
    return {check.part: check.message for check in checklist(parts)
            if check.state not in ("ok", "recommended")}


def hints() -> dict[str, Any]:
    """What the form's script needs to mirror the rules (hints only: the server decides)."""
    return {"minimum": {part: minimum(part) for part in PARTS},
            "required": list(REQUIRED), "words": sorted(PLACEHOLDER_WORDS), "rows": list(_ROWS)}
