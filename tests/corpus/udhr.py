#!/usr/bin/env python3
"""The Universal Declaration of Human Rights in many scripts: tests/corpus/udhr/.

From the XML of the "UDHR in Unicode" project (github unicode-org/udhr, data/udhr/
udhr_<key>.xml, as the search tool's `fetch` brings it to /work/.mirror), each text's
title, its preamble and its first ARTICLES articles, one element to one (a heading per
<title>, a paragraph per <para>), through pandoc 3.9 (-f html -t markdown --wrap=none),
with a YAML block. Mechanical only: no hand edits.

Each text has one note, on its first paragraph (the preamble's, but for Amharic), the
same in every text: the symbol of the General Assembly resolution that adopted the
Declaration (NOTE), a neutral citation of the source. The texts go into one archive, udhr/udhr.tar.xz, listed in
udhr/MANIFEST.tsv (file, lang, script, repository, commit, path), beside SOURCE.txt.

Usage:  udhr.py            (rewrites udhr/udhr.tar.xz and MANIFEST.tsv from the snapshot)
"""

import html
import io
import subprocess
import sys
import tarfile
from pathlib import Path

import yaml
from lxml import etree

REPO = "unicode-org/udhr"
MIRROR = Path("/work/.mirror/unicode-org+udhr/repo")
HERE = Path(__file__).parent / "udhr"
ARCHIVE = HERE / "udhr.tar.xz"
NS = {"u": "http://www.unhchr.ch/udhr"}
ARTICLES = 3
NOTE = "A/RES/217(III)"
AUTHOR = "United Nations General Assembly"
# What the files say (an XML comment: © OHCHR) and what the repository does not.
RIGHTS = ("© The Office of the High Commissioner for Human Rights; the UDHR in Unicode "
          "repository states no licence")

# (file key in data/udhr, the manuscript's lang, the script's name for the tests)
TEXTS = (
    ("eng", "en", "Latin"),
    ("yor", "yo", "Latin (marks)"),
    ("vie", "vi", "Latin (marks)"),
    ("ell_monotonic", "el", "Greek"),
    ("ell_polytonic", "el-polyton", "Greek (polytonic)"),
    ("rus", "ru", "Cyrillic"),
    ("hye", "hy", "Armenian"),
    ("kat", "ka", "Georgian"),
    ("heb", "he", "Hebrew"),
    ("arb", "ar", "Arabic"),
    ("pes_1", "fa", "Arabic (Persian)"),
    ("urd", "ur", "Arabic (Urdu)"),
    ("hin", "hi", "Devanagari"),
    ("ben", "bn", "Bengali"),
    ("pan", "pa", "Gurmukhi"),
    ("guj", "gu", "Gujarati"),
    ("tam", "ta", "Tamil"),
    ("tel", "te", "Telugu"),
    ("kan", "kn", "Kannada"),
    ("mal", "ml", "Malayalam"),
    ("sin", "si", "Sinhala"),
    ("tha", "th", "Thai"),
    ("lao", "lo", "Lao"),
    ("khm", "km", "Khmer"),
    ("mya", "my", "Myanmar"),
    ("bod", "bo", "Tibetan"),
    ("amh", "am", "Ethiopic"),
    ("tir", "ti", "Ethiopic"),
    ("chr_cased", "chr", "Cherokee"),
    ("ike", "iu", "Canadian Syllabics"),
    ("zgh", "zgh", "Tifinagh"),
    ("cmn_hans", "zh-Hans", "Han (simplified)"),
    ("cmn_hant", "zh-Hant", "Han (traditional)"),
    ("jpn", "ja", "Han and Kana"),
    ("kor", "ko", "Hangul"),
)


def git(*args):
    return subprocess.run(["git", "-C", str(MIRROR), *args], check=True,
                          capture_output=True).stdout


def text_of(element):
    """An element's text, white space runs made one space (the XML is indented)."""
    return " ".join("".join(element.itertext()).split())


def html_of(root):
    """The title, preamble and first ARTICLES articles as HTML, the note on the first
    paragraph as pandoc's HTML writer marks one (its reader reads it back as a note)."""
    out = []
    parts = [root.find("u:preamble", NS), *root.findall("u:article", NS)[:ARTICLES]]
    for part in filter(lambda p: p is not None, parts):  # the Amharic text has no preamble
        if part.find("u:title", NS) is not None:  # the Hebrew preamble has none
            out.append(f"<h2>{html.escape(text_of(part.find('u:title', NS)))}</h2>")
        for para in part.iter("{%s}para" % NS["u"]):
            call = ('<a href="#fn1" class="footnote-ref" id="fnref1" role="doc-noteref">'
                    '<sup>1</sup></a>') if "fnref1" not in "".join(out) else ""
            out.append(f"<p>{html.escape(text_of(para))}{call}</p>")
    out.append('<section id="footnotes" class="footnotes footnotes-end-of-document" '
               'role="doc-endnotes"><ol><li id="fn1"><p>' + html.escape(NOTE)
               + '<a href="#fnref1" class="footnote-back" role="doc-backlink">↩︎</a>'
               '</p></li></ol></section>')
    return "\n".join(out)


def manuscript(key, lang, commit):
    """The Markdown manuscript of the text `key`."""
    path = f"data/udhr/udhr_{key}.xml"
    root = etree.fromstring(git("show", f"{commit}:{path}"))
    body = subprocess.run(["pandoc", "-f", "html", "-t", "markdown", "--wrap=none"],
                          input=html_of(root).encode(), capture_output=True,
                          check=True).stdout.decode()
    meta = {"title": text_of(root.find("u:title", NS)), "author": AUTHOR,
            "date": "1948", "lang": lang,
            "rights": RIGHTS,
            "source": f"github.com/{REPO} {commit[:12]} {path}"}
    head = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=10_000)
    return f"---\n{head}---\n\n{body}"


def main():
    commit = git("rev-parse", "HEAD").decode().strip()
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w:xz") as tar:
        for key, lang, _ in TEXTS:
            text = manuscript(key, lang, commit).encode()
            info = tarfile.TarInfo(f"udhr-{key}.md")
            info.size, info.mtime = len(text), 0
            tar.addfile(info, io.BytesIO(text))
            print(f"udhr-{key}.md: {len(text)} bytes", file=sys.stderr)
    HERE.mkdir(exist_ok=True)
    ARCHIVE.write_bytes(data.getvalue())
    with (HERE / "MANIFEST.tsv").open("w", encoding="utf-8") as manifest:
        manifest.write("file\tlang\tscript\trepository\tcommit\tpath\n")
        for key, lang, script in TEXTS:
            manifest.write(f"udhr-{key}.md\t{lang}\t{script}\t{REPO}\t{commit}\t"
                           f"data/udhr/udhr_{key}.xml\n")
    print(f"{ARCHIVE}: {ARCHIVE.stat().st_size} bytes from {REPO} {commit}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
