"""Member Markdown: useful formatting renders, anything executable is neutralised."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markupsafe import Markup

from app.markdown import (
    ALLOWED_ATTRIBUTES,
    ALLOWED_TAGS,
    plain_excerpt,
    render_markdown,
    sanitize_html,
)

# An allowed scheme, or a relative URL (no ":" before any "/", "?" or "#").
SAFE_HREF = re.compile(r"(https?:|mailto:)|[^:/?#]*([/?#]|$)", re.IGNORECASE)


class _MarkupAudit(HTMLParser):
    """Collects every live tag and attribute of an HTML fragment."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    handle_startendtag = handle_starttag


def assert_harmless(html: str) -> None:
    """Only allow-listed tags and attributes survive; every link target is safe.

    Text that merely mentions "javascript:" or "<script>" (escaped) is harmless;
    what matters is the markup a browser would build.
    """
    audit = _MarkupAudit()
    audit.feed(html)
    audit.close()
    for tag, attrs in audit.tags:
        assert tag in ALLOWED_TAGS, html
        for name, value in attrs:
            assert name in ALLOWED_ATTRIBUTES.get(tag, set()) or (tag == "a" and name == "rel"), html
            if name == "href":
                assert value is not None and SAFE_HREF.match(value.strip()), html
            if name == "style":
                assert value is not None and re.fullmatch(r"text-align:\s*(left|right|center);?", value), html


# --- neutralised -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        "<script>alert(1)</script>",
        "Hello <script>alert(document.cookie)</script> world",
        "<img src=x onerror=alert(1)>",
        '<a href="javascript:alert(1)" onclick="alert(2)">x</a>',
        '<div onmouseover="alert(1)">hover</div>',
        '<iframe src="https://evil.example"></iframe>',
        "<svg onload=alert(1)>",
        "<style>body{display:none}</style>",
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        "[click](&#106;avascript:alert(1))",
        "[click]( javascript:alert(1))",
        "[click](vbscript:msgbox(1))",
        "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "![pic](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
        '![x](https://example.com/x.png" onerror="alert(1))',
        "<javascript:alert(1)>",
        '[x](https://example.com "title\\" onmouseover=\\"alert(1)")',
        "```html\n<script>alert(1)</script>\n```",
        "<!-- <script>alert(1)</script> -->",
    ],
)
def test_dangerous_input_is_neutralised(source: str) -> None:
    assert_harmless(render_markdown(source))


def test_raw_html_is_shown_as_text_not_markup() -> None:
    html = render_markdown("<b>bold?</b> <script>alert(1)</script>")
    assert "<b>" not in html and "<script>" not in html
    assert "&lt;b&gt;bold?&lt;/b&gt;" in html


def test_images_are_never_rendered() -> None:
    html = render_markdown("![a cat](https://example.com/cat.png)")
    assert "<img" not in html
    assert "a cat" in html


@pytest.mark.parametrize(
    ("dirty", "clean"),
    [
        ("<img src=x onerror=alert(1)>ok", "ok"),
        ("<script>alert(1)</script>safe", "safe"),
        ('<p onclick="x">para</p>', "<p>para</p>"),
        ('<a href="javascript:alert(1)">j</a>', '<a rel="nofollow noopener ugc">j</a>'),
        ('<a href="data:text/html,x">d</a>', '<a rel="nofollow noopener ugc">d</a>'),
        ('<a href="https://e.example" target="_blank" rel="opener">e</a>',
         '<a href="https://e.example" rel="nofollow noopener ugc">e</a>'),
    ],
)  # fmt: skip
def test_sanitizer_alone_also_stops_html(dirty: str, clean: str) -> None:
    # Defence in depth: even HTML that bypassed the Markdown layer is cleaned.
    assert sanitize_html(dirty) == clean


@given(st.text(max_size=300))
def test_any_text_renders_to_harmless_markup(source: str) -> None:
    assert_harmless(render_markdown(source))


@given(
    st.lists(
        st.sampled_from(
            ["<", ">", "[", "]", "(", ")", "!", "javascript:", "data:", "on", "error=", "img", "script",
             "a", " ", "\n", '"', "'", "`", "&#", "x", "&", "=", "/", ":"]
        ),
        max_size=40,
    ).map("".join)
)  # fmt: skip
def test_attack_fragments_never_combine_into_markup(source: str) -> None:
    assert_harmless(render_markdown(source))


# --- renders -------------------------------------------------------------------------------


def test_result_is_markup_safe_for_templates() -> None:
    assert isinstance(render_markdown("hi"), Markup)
    assert render_markdown("") == Markup("")
    assert render_markdown(None) == Markup("")


def test_emphasis_strong_strikethrough_and_code_render() -> None:
    html = render_markdown("*soft* **loud** ~~gone~~ `x < y`")
    assert "<em>soft</em>" in html
    assert "<strong>loud</strong>" in html
    assert "<s>gone</s>" in html or "<del>gone</del>" in html
    assert "<code>x &lt; y</code>" in html


def test_lists_quotes_headings_and_code_blocks_render() -> None:
    html = render_markdown("# Title\n\n> quoted\n\n- one\n- two\n\n3. three\n4. four\n\n```\ncode\n```")
    assert "<h1>Title</h1>" in html
    assert "<blockquote>" in html
    assert "<ul>\n<li>one</li>\n<li>two</li>\n</ul>" in html
    assert '<ol start="3">' in html
    assert "<pre><code>code\n</code></pre>" in html


def test_links_keep_href_and_title_and_get_rel() -> None:
    html = render_markdown('[Kyoso](https://kyoso.example/ideas/1 "An idea")')
    assert (
        '<a href="https://kyoso.example/ideas/1" title="An idea" rel="nofollow noopener ugc">Kyoso</a>'
        in html
    )


@pytest.mark.parametrize("href", ["http://example.com", "mailto:team@example.com", "/ideas/42"])
def test_safe_link_targets_are_kept(href: str) -> None:
    assert f'href="{href}"' in render_markdown(f"[go]({href})")


def test_autolinks_render_but_bare_urls_are_not_linkified() -> None:
    assert '<a href="https://example.com"' in render_markdown("<https://example.com>")
    assert "<a" not in render_markdown("see https://example.com")


def test_tables_render_without_inline_styles() -> None:
    html = render_markdown("| a | b |\n|:--|--:|\n| 1 | 2 |")
    assert "<table>" in html and "<th" in html and "<td" in html
    assert "style=" not in html  # the CSP would refuse it


# --- excerpts ---------------------------------------------------------------------------------


def test_excerpt_drops_formatting_and_link_targets() -> None:
    text = "# My idea\n\nA **brick** set for [small](https://x.example) hands.\n\n- easy\n- fun"
    assert plain_excerpt(text) == "My idea A brick set for small hands. easy fun"


def test_excerpt_shows_raw_html_as_plain_text() -> None:
    assert plain_excerpt("<b>hi</b>") == "<b>hi</b>"  # the template escapes it


def test_long_excerpt_is_cut_at_a_word_with_an_ellipsis() -> None:
    excerpt = plain_excerpt("lorem ipsum " * 50, length=30)
    assert len(excerpt) <= 30
    assert excerpt.endswith("…")
    assert excerpt == "lorem ipsum lorem ipsum lorem…"


@given(st.text(max_size=500), st.integers(min_value=0, max_value=200))
def test_excerpt_never_exceeds_its_length(text: str, length: int) -> None:
    assert len(plain_excerpt(text, length)) <= length


def test_empty_excerpt() -> None:
    assert plain_excerpt("") == ""
    assert plain_excerpt(None) == ""


@pytest.mark.parametrize(
    "bad",
    [
        "<script>x</script>",
        '<a href="javascript:alert(1)">x</a>',
        '<p onclick="x">y</p>',
        '<td style="background:url(x)">z</td>',
        "<img src=x>",
    ],
)
def test_the_harmlessness_check_itself_catches_live_markup(bad: str) -> None:
    with pytest.raises(AssertionError):
        assert_harmless(bad)


@pytest.mark.parametrize(
    "source", ["[click](javascript:alert(1))", "[click](data:text/html,x)", "[c](vbscript:x)"]
)
def test_dangerous_link_targets_never_become_links(source: str) -> None:
    assert "href" not in render_markdown(source)
