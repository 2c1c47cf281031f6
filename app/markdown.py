"""Markdown for member-written text: rendered with markdown-it-py, sanitised with nh3.

Two layers, on purpose: markdown-it never emits raw HTML from the source
(``html`` is off) and refuses ``javascript:``-style link targets; nh3 then
keeps only an explicit allow-list of tags, attributes and URL schemes, so a
gap in either layer alone does not become an XSS hole.
"""

from __future__ import annotations

import re

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


def _build_parser() -> MarkdownIt:
    """Return the shared parser: CommonMark, no raw HTML, no linkify, tables, strikethrough.

    Images are switched off: ``![alt](url)`` renders as "!" and a plain link.
    """
    parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    parser.enable(["table", "strikethrough"])
    parser.disable("image")
    return parser


_PARSER = _build_parser()


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
    return Markup(sanitize_html(_PARSER.render(text)))


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
