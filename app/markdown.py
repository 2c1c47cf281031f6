"""Markdown for member-written text: rendered with markdown-it-py, sanitised with nh3.

Two layers, on purpose: markdown-it never emits raw HTML from the source
(``html`` is off) and refuses ``javascript:``-style link targets; nh3 then
keeps only an explicit allow-list of tags, attributes and URL schemes, so a
gap in either layer alone does not become an XSS hole.

Rendered once, when the text is saved: ideas.description_html, comments.body_html and
comment_revisions.body_html hold the output with the RENDERER_VERSION that made it (see
app.services.markdown_store); pages show the stored HTML and never render. Before rendering,
bound() defuses the structures whose parsing costs most per character (unmatched or deeply
nested ``[``, long runs of emphasis delimiters, deep nesting), so that a render costs time
linear in the text's length (bench/bench_markdown.py).
"""

from __future__ import annotations

import re
from collections import deque

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup

ALLOWED_TAGS: frozenset[str] = frozenset(
    {
        "p", "br", "hr", "strong", "em", "del", "s", "code", "pre", "blockquote",
        "ul", "ol", "li", "a", "h1", "h2", "h3", "h4", "h5", "h6",
        "table", "thead", "tbody", "tr", "th", "td",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "a": {"href", "title"},
    "ol": {"start"},
    # No style attributes: the Content-Security-Policy refuses inline styles anyway.
}
ALLOWED_URL_SCHEMES: frozenset[str] = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow noopener ugc"

_WHITESPACE_RE = re.compile(r"\s+")

#: Bump when the rendered HTML of a text changes (parser options, allow-list, bounds): stored
#: HTML of an older version is rendered again by `flask markdown rerender` and the scheduled
#: job markdown.rerender.
RENDERER_VERSION = 2
#: Longest source rendered (longer text is cut): descriptions and comments are shorter anyway.
MAX_SOURCE_CHARS = 20_000
#: Deepest nesting of blocks and inline elements (blockquotes, lists, emphasis, links).
MAX_NESTING = 16
#: Deepest nesting of balanced brackets kept as link syntax in one paragraph; deeper pairs and
#: every unmatched ``[`` (which can never open a link) are shown as plain text.
MAX_BRACKET_DEPTH = 4
#: At most this many brackets per paragraph are kept as link syntax (about 40 links).
MAX_BRACKETS_PER_BLOCK = 80
#: At most this many runs of one emphasis delimiter (``*``, ``_``, ``~``) per paragraph are kept
#: as formatting; later runs are shown as plain text.
MAX_DELIMITER_RUNS = 64

_FENCE_RE = re.compile(r" {0,3}(`{3,}(?=[^`]*$)|~{3,})")
_MARKS = "[*_~"
#: Defused marks are swapped for these noncharacters (plain text to the parser, so a long run
#: of them is one cheap text token) and swapped back in the HTML. Noncharacters never belong in
#: text: any in the source are dropped first.
_STAND_INS = {mark: chr(0xFDD0 + index) for index, mark in enumerate("[]*_~")}
_DROP_STAND_INS = str.maketrans({stand_in: None for stand_in in _STAND_INS.values()})
_RESTORE = [(stand_in, mark) for mark, stand_in in _STAND_INS.items()] + [
    # ...also where markdown-it percent-encoded one inside a link target.
    ("".join(f"%{byte:02X}" for byte in stand_in.encode()), f"%{ord(mark):02X}")
    for mark, stand_in in _STAND_INS.items()]
_INLINE_MARK_RE = re.compile(r"\\.|[\[\]]|\*+|_+|~+", re.DOTALL)
_BACKTICKS_RE = re.compile(r"\\.|`+", re.DOTALL)


def _build_parser() -> MarkdownIt:
    """Return the shared parser: CommonMark, no raw HTML, no linkify, tables, strikethrough.

    Images are switched off: ``![alt](url)`` renders as "!" and a plain link.
    """
    parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False,
                                       "maxNesting": MAX_NESTING})
    parser.enable(["table", "strikethrough"])
    parser.disable("image")
    return parser


_PARSER = _build_parser()


def _code_spans(text: str) -> list[tuple[int, int]]:
    """Where the inline code spans are: a backtick run up to the next run of the same length."""
    runs = [(m.start(), m.end()) for m in _BACKTICKS_RE.finditer(text) if m.group()[0] == "`"]
    later: dict[int, deque[int]] = {}
    for index, (start, end) in enumerate(runs):
        later.setdefault(end - start, deque()).append(index)
    spans = []
    index = 0
    while index < len(runs):
        start, end = runs[index]
        candidates = later[end - start]
        while candidates and candidates[0] <= index:
            candidates.popleft()
        if candidates:
            closing = candidates.popleft()
            spans.append((start, runs[closing][1]))
            index = closing + 1
        else:
            index += 1
    return spans


def _bound_block(lines: list[str]) -> list[str]:
    """One paragraph (or other block of consecutive lines) with its costly marks escaped."""
    text = "\n".join(lines)
    spans = _code_spans(text)
    escape: set[int] = set()  # positions of the marks to escape
    stack: list[tuple[int, bool]] = []  # open brackets: position, kept as syntax
    brackets = 0
    runs: dict[str, int] = {}
    span = 0
    for match in _INLINE_MARK_RE.finditer(text):
        position, mark = match.start(), match.group()
        while span < len(spans) and spans[span][1] <= position:
            span += 1
        if mark[0] == "\\" or (span < len(spans) and spans[span][0] <= position):
            continue  # escaped already, or inside a code span (shown as written)
        if mark == "[":
            kept = len(stack) < MAX_BRACKET_DEPTH and brackets < MAX_BRACKETS_PER_BLOCK
            brackets += kept
            stack.append((position, kept))
        elif mark == "]":
            if stack:
                start, kept = stack.pop()
                if not kept:
                    escape.update((start, position))
        else:
            runs[mark[0]] = runs.get(mark[0], 0) + 1
            if runs[mark[0]] > MAX_DELIMITER_RUNS:
                escape.update(range(position, match.end()))
    escape.update(start for start, _kept in stack)  # never closed: never a link
    if not escape:
        return lines
    chars = list(text)
    for position in escape:
        chars[position] = _STAND_INS[chars[position]]
    return "".join(chars).split("\n")


def sum_marks(line: str) -> int:
    return sum(line.count(mark) for mark in _MARKS)


def bound(text: str) -> str:
    """``text`` with the structures that make parsing costly defused, its look kept.

    At most MAX_SOURCE_CHARS characters; in each paragraph, unmatched ``[`` and brackets
    nested deeper than MAX_BRACKET_DEPTH (or beyond MAX_BRACKETS_PER_BLOCK) and emphasis
    delimiter runs beyond MAX_DELIMITER_RUNS are taken as plain text, so they show as the
    characters they are. Fenced and indented code is left alone. Nesting deeper than
    MAX_NESTING is cut by the parser itself.

    The defused marks come back as stand-in characters: render_markdown() turns them back.
    """
    text = text[:MAX_SOURCE_CHARS].translate(_DROP_STAND_INS)
    result: list[str] = []
    block: list[str] = []
    fence = ""

    def flush() -> None:
        # An indented block may be code (shown as written) or a list item's paragraph: bounded
        # only when it holds enough marks to matter.
        indented = all(line.startswith(("    ", "\t")) for line in block)
        if block and (not indented or sum(map(sum_marks, block)) > MAX_BRACKETS_PER_BLOCK):
            result.extend(_bound_block(block))
        else:
            result.extend(block)
        block.clear()

    for line in text.split("\n"):
        opening = _FENCE_RE.match(line)
        if fence:
            result.append(line)
            if opening and opening.group(1)[0] == fence[0] and len(opening.group(1)) >= len(fence) \
                    and not line[opening.end():].strip():
                fence = ""
        elif opening:
            flush()
            fence = opening.group(1)
            result.append(line)
        elif not line.strip():
            flush()
            result.append(line)
        else:
            block.append(line)
    flush()
    return "\n".join(result)


def render_markdown(text: str | None) -> Markup:
    """Render member-written Markdown to HTML that is safe to insert into a page.

    Only the tags in ``ALLOWED_TAGS`` survive; links keep ``href`` (http,
    https, mailto or relative) and ``title`` and always get
    ``rel="nofollow noopener ugc"``; ``<script>``/``<style>`` vanish with their
    content; raw HTML in the source is shown as text; images are never
    rendered. Empty or None input gives an empty Markup.
    """
    if not text:
        return Markup("")
    html = _PARSER.render(bound(text))
    for stand_in, mark in _RESTORE:
        html = html.replace(stand_in, mark)
    return Markup(sanitize_html(html))


def render_stored(text: str | None) -> tuple[str, int]:
    """The HTML to store beside ``text`` and the renderer version that made it."""
    return str(render_markdown(text)), RENDERER_VERSION


def stored_html(html: str | None) -> Markup:
    """HTML stored by render_stored() (sanitised when saved), ready for a template."""
    return Markup(html or "")


def sanitize_html(html: str) -> str:
    """Return ``html`` reduced to the allow-list used for rendered Markdown.

    Tags outside ``ALLOWED_TAGS`` are removed (``script`` and ``style`` with
    their content), attributes outside ``ALLOWED_ATTRIBUTES`` are dropped,
    URLs with schemes other than http, https and mailto are removed, and every
    link gets ``rel="nofollow noopener ugc"``.
    """
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=set(ALLOWED_URL_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=True,
    )


def _inline_text(tokens: list[Token]) -> list[str]:
    """Return the visible text of inline tokens, line breaks as spaces."""
    pieces: list[str] = []
    for token in tokens:
        if token.type in ("text", "code_inline"):
            pieces.append(token.content)
        elif token.type in ("softbreak", "hardbreak"):
            pieces.append(" ")
        elif token.children:
            pieces.extend(_inline_text(token.children))
    return pieces


def plain_excerpt(text: str | None, length: int = 160) -> str:
    """Return the Markdown ``text`` as plain text of at most ``length`` characters.

    Formatting marks, link targets and code fences are dropped and whitespace
    collapses to single spaces. A longer text is cut at a word boundary where
    possible and ends with "…" (counted in ``length``). The result is plain,
    unescaped text: let the template escape it.
    """
    if not text or length <= 0:
        return ""
    pieces: list[str] = []
    for token in _PARSER.parse(text):
        if token.type == "inline" and token.children is not None:
            pieces.extend(_inline_text(token.children))
        elif token.type in ("code_block", "fence"):
            pieces.append(token.content)
        if token.block and token.nesting != 1:
            pieces.append(" ")  # keep words of adjacent blocks apart
    plain = _WHITESPACE_RE.sub(" ", "".join(pieces)).strip()
    if len(plain) <= length:
        return plain
    if length == 1:
        return "…"
    cut = plain[: length - 1]
    space = cut.rfind(" ")
    ends_mid_word = plain[length - 1] != " "
    # Back up to a word boundary, but never throw away more than half.
    if ends_mid_word and space > (length - 1) // 2:
        cut = cut[:space]
    return cut.rstrip(" .,;:-") + "…"
