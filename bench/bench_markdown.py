"""Markdown render time against input size for the inputs that are costly to parse.

For each attack input (runs of ``[``, nested ``>``, ``*`` runs and their relatives) and size,
times markdown-it-py alone (the parser with the app's options, no bounds, no sanitising) and
app.markdown.render_markdown (bound() + markdown-it + nh3), best of --repeat runs, in ms.
The last column is the bounded render's cost per 1,000 characters at the largest size over
the smallest: about 1 means linear. Numbers in bench/README.md ("Markdown").

    .venv/bin/python bench/bench_markdown.py [--sizes 1000,5000,20000] [--repeat 3]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from markdown_it import MarkdownIt  # noqa: E402

from app.markdown import render_markdown  # noqa: E402

ATTACKS = {
    "[ run": lambda n: "[" * n,
    "[a run": lambda n: "[a" * (n // 2),
    "[ + newline": lambda n: "[\n" * (n // 2),
    "[a]( run": lambda n: "[a](" * (n // 4),
    "[]( run": lambda n: "[](" * (n // 3),
    "![ run": lambda n: "![" * (n // 2),
    "> nested": lambda n: ">" * n,
    "> nested, spaced": lambda n: "> " * (n // 2),
    "* run": lambda n: "*" * n,
    "*a run": lambda n: "*a" * (n // 2),
    "**a run": lambda n: "**a" * (n // 3),
    "_a run": lambda n: "_a" * (n // 2),
    "~~a run": lambda n: "~~a" * (n // 3),
    "- nested list": lambda n: "- " * (n // 2),
    "` run": lambda n: "`a" * (n // 2),
    "ordinary prose": lambda n: ("Some *fine* words, a [link](https://example.com) and "
                                 "`code`.\n\n" * n)[:n],
}


def _plain_parser() -> MarkdownIt:
    parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    parser.enable(["table", "strikethrough"])
    parser.disable("image")
    return parser


def best_ms(render, text: str, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        render(text)
        best = min(best, time.perf_counter() - start)
    return best * 1000


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--sizes", default="1000,5000,20000")
    options.add_argument("--repeat", type=int, default=3)
    args = options.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    plain = _plain_parser()
    header = " | ".join(f"{size:>6} md-it / app" for size in sizes)
    print(f"| {'input':<18} | {header} | app linear? |")
    for name, make in ATTACKS.items():
        cells, app_times = [], []
        for size in sizes:
            text = make(size)
            raw = best_ms(plain.render, text, args.repeat)
            ours = best_ms(render_markdown, text, args.repeat)
            app_times.append(ours / size)
            cells.append(f"{raw:8.1f} / {ours:5.1f}")
        ratio = app_times[-1] / app_times[0] if app_times[0] else 0
        print(f"| {name:<18} | {' | '.join(cells)} | {ratio:5.2f} |", flush=True)


if __name__ == "__main__":
    main()
