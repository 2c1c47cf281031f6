"""Finding English left on a Japanese page (tests/browser/test_japanese_pages.py).

`PAGE_TEXT_JS` (for Playwright's page.evaluate) returns what a page says in its own words: every
text node of the body (closed <details> and hidden parts too), the attributes people read or
hear (placeholder, title, aria-label, alt, button values) and the document title; never what is
inside an element marked `data-user-content`, <script>, <style>, <code>, <pre> or a form field.

`english_runs(text, corpus)` then names the runs of English in one piece of that text: stretches
of ASCII (split at any other character) holding two or more words. Not counted: what members
and staff wrote (the `UserContent` corpus, read from the database: names, titles, comments,
memos...), numbers, e-mail addresses, URLs and paths, time zone names, and codes in capitals
(JPY, CSV, SHA, SUPPORT_MILESTONES).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

PAGE_TEXT_JS = r"""
() => {
  const SKIP = "[data-user-content], script, style, code, pre, textarea, noscript, svg";
  const ATTRIBUTES = ["placeholder", "title", "aria-label", "alt", "data-confirm", "data-copied",
                      "data-left-one", "data-left-many"];
  const pieces = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || parent.closest(SKIP) || !node.nodeValue.trim()) continue;
    pieces.push([parent.tagName.toLowerCase(), node.nodeValue]);
  }
  for (const element of document.body.querySelectorAll("*")) {
    if (element.closest(SKIP)) continue;
    for (const name of ATTRIBUTES) {
      const value = element.getAttribute(name);
      if (value) pieces.push([`@${name}`, value]);
    }
    if (element.matches("input[type=submit], input[type=button]")) {
      pieces.push(["@value", element.value]);
    }
  }
  pieces.push(["title", document.title]);
  return pieces;
}
"""

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_URL = re.compile(r"\b(?:https?://|www\.)\S+|(?:^|(?<=\s))/[\w/.?=&%-]*")
_WORD = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)*")
_NOT_ASCII = re.compile(r"[^\x00-\x7f]+")
_CODE = re.compile(r"[A-Z0-9]+")


@dataclass
class UserContent:
    """What members and staff wrote: short values (names, titles) are cut out of a piece of
    text wherever they occur; a piece that is part of a long one (a description, a comment) is
    user content as a whole."""

    short: list[str]
    long: str

    @classmethod
    def of(cls, values) -> UserContent:
        values = {v.strip() for v in values if v and v.strip()}
        short = sorted((v for v in values if len(v) <= 120), key=len, reverse=True)
        return cls(short=short, long="\x00".join(values))


def english_runs(text: str, corpus: UserContent | None = None,
                 time_zones: frozenset[str] = frozenset()) -> list[str]:
    """The runs of two or more English words in `text` that are not user content."""
    stripped = " ".join(text.split())
    if stripped in time_zones:
        return []
    if corpus is not None:
        if len(stripped) > 3 and stripped in corpus.long:
            return []
        for value in corpus.short:
            if value in stripped:  # cut out where it stands as words, not inside a word
                stripped = re.sub(rf"(?<![A-Za-z]){re.escape(value)}(?![A-Za-z])", " ",
                                  stripped)
    stripped = _URL.sub(" ", _EMAIL.sub(" ", stripped))
    runs = []
    for segment in _NOT_ASCII.split(stripped):
        words = [w for w in _WORD.findall(segment.replace("_", " "))
                 if not _CODE.fullmatch(w)]
        if len(words) >= 2:
            runs.append(" ".join(segment.split()).strip(" :;,.()"))
    return runs
