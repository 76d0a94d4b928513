"""The text runs of an HTML document: what is written between its tags, changed without
touching a tag or an attribute's value; and where a span closes. Shared by the print
HTML and the WeasyPrint fixes that mend it (footnotes, linebreak)."""

import re

BODY_TEXT = re.compile(r">([^<]+)<")
SPAN_TAG = re.compile(r"<span\b|</span>")


def in_body_text(html, change):
    """`html` with `change` (HTML -> HTML) applied to each run of text between two tags
    of its body: never to an attribute's value, nor to the head (the PDF's title)."""
    body = html.find("<body")
    return html[:body] + BODY_TEXT.sub(lambda m: ">" + change(m[1]) + "<", html[body:])


def span_end(html, start):
    """Index just past the </span> that closes the <span> opening at `start`."""
    depth = 0
    for tag in SPAN_TAG.finditer(html, start):
        depth += -1 if tag.group() == "</span>" else 1
        if depth == 0:
            return tag.end()
    return len(html)  # pandoc closes every span; never reached
