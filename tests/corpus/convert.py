#!/usr/bin/env python3
"""Mechanical conversion of the corpus texts into Samizdat manuscripts.

For each slug: copy the original file(s) out of the fetched git snapshot
(unmodified bytes) into <slug>/source/, run pandoc 3.9 on them (after, where
a format pandoc cannot read is involved, a small mechanical pre-step written
below), and prepend a YAML metadata block.  No hand edits anywhere.

Usage:  convert.py [slug ...]      (no argument: every slug)
"""
import html
import re
import shutil
import subprocess
import textwrap
import sys
from pathlib import Path

import yaml
from lxml import etree

PANDOC = "pandoc"  # 3.9, as pypandoc_binary ships it
CORPUS = Path(__file__).parent
MIRROR = Path("/work/.mirror")  # git snapshots of the source repositories (see SOURCE.txt)


# ----------------------------------------------------------------- helpers
def git(repo, *args):
    return subprocess.run(["git", "-C", str(MIRROR / repo / "repo"), *args],
                          check=True, capture_output=True).stdout


def head_commit(repo):
    return git(repo, "rev-parse", "HEAD").decode().strip()


def fetch_file(slug, repo, path):
    """Copy one file of the snapshot's HEAD into <slug>/source/<path>, bytes untouched."""
    data = git(repo, "show", f"HEAD:{path}")
    dest = CORPUS / slug / "source" / path
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(data)
    return dest


def pandoc(args, stdin=None):
    r = subprocess.run([PANDOC, *args, "-t", "markdown", "--wrap=none"],
                       input=stdin, capture_output=True, check=True)
    if r.stderr:
        sys.stderr.write(r.stderr.decode(errors="replace"))
    return r.stdout.decode()


def write_manuscript(slug, meta, body):
    head = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False,
                          default_flow_style=False, width=10_000)
    out = CORPUS / slug / f"{slug}.md"
    out.write_text("---\n" + head + "---\n\n" + body.lstrip("\n"), encoding="utf-8")
    print(f"{slug}: wrote {out} ({out.stat().st_size} bytes)")


def work_dir(slug):
    d = CORPUS / slug / "work"
    d.mkdir(parents=True, exist_ok=True)
    return d


def body_of(xhtml: str) -> str:
    """Inner HTML of <body> (string slicing, no parsing)."""
    start = xhtml.index(">", xhtml.index("<body")) + 1
    return xhtml[start:xhtml.rindex("</body>")]


# ------------------------------------------- Standard Ebooks → pandoc notes
def se_notes_to_pandoc(html_text: str) -> str:
    """Rewrite SE's endnote markup into the markup pandoc's HTML reader
    reads as footnotes (the markup pandoc itself writes)."""
    t = re.sub(r'<a href="endnotes\.xhtml#(note-\d+)" id="(noteref-\d+)" epub:type="noteref">(\d+)</a>',
               r'<a href="#\1" id="\2" class="footnote-ref" role="doc-noteref"><sup>\3</sup></a>', html_text)
    t = t.replace('<section id="endnotes" epub:type="endnotes">',
                  '<section id="endnotes" class="footnotes" role="doc-endnotes">')
    t = re.sub(r'<li id="(note-\d+)">', r'<li id="\1" role="doc-endnote">', t)
    t = re.sub(r'<a href="[a-z0-9-]+\.xhtml#(noteref-\d+)" epub:type="backlink">↩</a>',
               r'<a href="#\1" class="footnote-back" role="doc-backlink">↩</a>', t)
    return t


# ------------------------------------------------------------------ texts
def kropotkin_mutual_aid(slug):
    repo = "standardebooks+peter-kropotkin_mutual-aid"
    files = ["introduction", "chapter-1", "chapter-2", "chapter-3", "chapter-4",
             "chapter-5", "chapter-6", "chapter-7", "chapter-8", "conclusion",
             "appendix", "endnotes"]          # bodymatter + endnotes, spine order
    fetch_file(slug, repo, "src/epub/content.opf")
    parts = []
    for f in files:
        p = fetch_file(slug, repo, f"src/epub/text/{f}.xhtml")
        parts.append(body_of(p.read_text(encoding="utf-8")))
    joined = "<html><body>\n" + "\n".join(parts) + "\n</body></html>"
    joined = se_notes_to_pandoc(joined)
    # pass 2: links from one file of the edition to another (R001 in pass 1)
    # become links inside the one document: "appendix.xhtml#appendix-3" -> "#appendix-3",
    # "chapter-1.xhtml" -> "#chapter-1" (SE gives each file's section the file's name)
    joined = re.sub(r'href="([a-z0-9-]+)\.xhtml#([^"]+)"', r'href="#\2"', joined)
    joined = re.sub(r'href="([a-z0-9-]+)\.xhtml"', r'href="#\1"', joined)
    (work_dir(slug) / "joined.html").write_text(joined, encoding="utf-8")
    body = pandoc(["-f", "html", str(work_dir(slug) / "joined.html")])
    write_manuscript(slug, {
        "title": "Mutual Aid",
        "subtitle": "A Factor of Evolution",
        "author": "Peter Kropotkin",
        "date": "1902",
        "lang": "en-GB",
        "rights": "Public domain; Standard Ebooks edition dedicated under CC0 1.0",
        "source": "Standard Ebooks, https://standardebooks.org/ebooks/peter-kropotkin/mutual-aid (github standardebooks/peter-kropotkin_mutual-aid)",
        "identifier": "https://standardebooks.org/ebooks/peter-kropotkin/mutual-aid",
    }, body)


def whitman_song_of_myself(slug):
    repo = "standardebooks+walt-whitman_leaves-of-grass"
    p = fetch_file(slug, repo, "src/epub/text/song-of-myself.xhtml")
    fetch_file(slug, repo, "src/epub/content.opf")
    body = pandoc(["-f", "html", str(p)])
    write_manuscript(slug, {
        "title": "Song of Myself",
        "subtitle": "from Leaves of Grass",
        "author": "Walt Whitman",
        "date": "1892",
        "lang": "en-US",
        "rights": "Public domain; Standard Ebooks edition dedicated under CC0 1.0",
        "source": "Standard Ebooks, Leaves of Grass (github standardebooks/walt-whitman_leaves-of-grass), src/epub/text/song-of-myself.xhtml",
    }, body)


def morris_news_from_nowhere(slug):
    repo = "GITenberg+News-from-Nowhere--Or-An-Epoch-of-Rest--13-Being-Some-Chapters-from-a-Utopian-Romance_3261"
    p = fetch_file(slug, repo, "3261-h/3261-h.htm")
    body = pandoc(["-f", "html", str(p)])
    write_manuscript(slug, {
        "title": "News from Nowhere",
        "subtitle": "or, An Epoch of Rest",
        "author": "William Morris",
        "date": "1890",
        "lang": "en-GB",
        "rights": "Public domain (Project Gutenberg eBook #3261)",
        "source": "Project Gutenberg #3261, via github GITenberg/News-from-Nowhere..._3261, 3261-h/3261-h.htm",
    }, body)


def barclay_offenbarung(slug):
    repo = "OlafRadicke+robert_barclay_apologie_1776"
    names = ["_index"] + [f"b_02_{i:02d}" for i in range(1, 17)]
    paths = [fetch_file(slug, repo, f"hugo/content/02/{n}.md") for n in names]
    # images the notes name as pics/...: the repository keeps them in pics/ at its root
    for png in ["footnote-b_02_02_11.png", "footnote-b_02_02_12.png", "footnote-b_02_02_14.png"]:
        src = fetch_file(slug, repo, f"pics/{png}")
        dst = CORPUS / slug / "pics" / png
        dst.parent.mkdir(exist_ok=True)
        shutil.copyfile(src, dst)
    fetch_file(slug, repo, "LICENSE")
    body = pandoc(["-f", "markdown", *map(str, paths)])
    write_manuscript(slug, {
        "title": "Apologie: 2. Von der Offenbarung",
        "subtitle": "Verteidigungsschrift der wahren christlichen Gottesgelahrheit (Übersetzung von 1776)",
        "author": ["Robert Barclay", "Olaf Radicke (Bearbeitung)"],
        "date": "1776",
        "lang": "de",
        "rights": "Public domain (1776 translation); edition CC0 1.0",
        "source": "github OlafRadicke/robert_barclay_apologie_1776, hugo/content/02/",
    }, body)


def tolstoy_patriotizm(slug):
    repo = "d0rj+RusLit"
    p = fetch_file(slug, repo, "publicism/Tolstoy/Патриотизм и правительство.txt")
    fetch_file(slug, repo, "publicism/Tolstoy/info.csv")
    fetch_file(slug, repo, "README.md")
    body = pandoc(["-f", "markdown", str(p)])
    write_manuscript(slug, {
        "title": "Патриотизм и правительство",
        "author": "Лев Николаевич Толстой",
        "date": "1900",
        "lang": "ru",
        "rights": "Public domain",
        "source": "github d0rj/RusLit, publicism/Tolstoy/Патриотизм и правительство.txt",
        "identifier": "urn:uuid:3f0b7c1e-4f7e-4c55-9d0a-6f1c0b2e7a11",
    }, body)


def pushkin_mednyj_vsadnik(slug):
    repo = "d0rj+RusLit"
    p = fetch_file(slug, repo, "poems/Pushkin/Медный всадник.txt")
    fetch_file(slug, repo, "poems/Pushkin/info.csv")
    # A plain-text poem: each line a line of verse, its indentation kept, stanzas apart
    # (pandoc line blocks). Read as Markdown it was one long code block, set in
    # monospace (seen on a page of the printed corpus). The indentation all lines share goes.
    lines = textwrap.dedent(p.read_text(encoding="utf-8")).splitlines()
    verse = "\n".join(f"| {line.rstrip()}" if line.strip() else "" for line in lines)
    body = pandoc(["-f", "markdown"], stdin=verse.encode("utf-8"))
    write_manuscript(slug, {
        "title": "Медный всадник",
        "subtitle": "Петербургская повесть",
        "author": "Александр Сергеевич Пушкин",
        "date": "1833",
        "lang": "ru",
        "rights": "Public domain",
        "source": "github d0rj/RusLit, poems/Pushkin/Медный всадник.txt",
    }, body)


def sblgnt_galatians(slug):
    repo = "LogosBible+SBLGNT"
    x = fetch_file(slug, repo, "data/sblgnt/xml/Gal.xml")
    a = fetch_file(slug, repo, "data/sblgntapp/text/Gal.txt")
    fetch_file(slug, repo, "LICENSE")
    fetch_file(slug, repo, "README.md")
    # apparatus: "Galatians 1:4" header line, then entry lines, blank line between verses
    app = {}
    cur = None
    for line in a.read_text(encoding="utf-8-sig").splitlines():
        m = re.match(r"^Galatians (\d+:\d+)$", line.strip())
        if m:
            cur = m.group(1)
            app[cur] = []
        elif cur and line.strip():
            app[cur].append(line.strip())
    # text: <p> of <verse-number>, <w>, <suffix>; a note after the last word of each verse
    root = etree.fromstring(x.read_bytes())
    out = ["<html><body>", f"<h1>{html.escape(root.findtext('title'))}</h1>"]
    notes = []
    for p in root.iter("p"):
        buf, verse = [], None

        def close_verse():
            if verse and verse in app:
                notes.append((verse, app[verse]))
                n = len(notes)
                buf.append(f'<a href="#fn{n}" id="fnref{n}" class="footnote-ref" role="doc-noteref"><sup>{n}</sup></a>')

        for el in p:
            if el.tag == "verse-number":
                close_verse()
                verse = el.get("id").split()[-1]          # "Galatians 2:3" -> "2:3"
                buf.append(f"<sup>{html.escape(verse)}</sup>\u00a0")
            elif el.tag == "w":
                buf.append(html.escape(el.text or ""))
            elif el.tag == "suffix":
                buf.append(html.escape(el.text or " ") or " ")
            elif el.tag == "prefix":
                buf.append(html.escape(el.text or ""))
        close_verse()
        out.append("<p>" + "".join(buf).strip() + "</p>")
    out.append('<section class="footnotes" role="doc-endnotes"><ol>')
    for n, (verse, lines) in enumerate(notes, 1):
        out.append(f'<li id="fn{n}" role="doc-endnote"><p>' + "<br/>".join(html.escape(l) for l in lines)
                   + f' <a href="#fnref{n}" class="footnote-back" role="doc-backlink">↩</a></p></li>')
    out.append("</ol></section></body></html>")
    (work_dir(slug) / "gal.html").write_text("\n".join(out), encoding="utf-8")
    body = pandoc(["-f", "html", str(work_dir(slug) / "gal.html")])
    write_manuscript(slug, {
        "title": "ΠΡΟΣ ΓΑΛΑΤΑΣ",
        "subtitle": "SBL Greek New Testament, with its apparatus",
        "author": ["Michael W. Holmes (editor)", "Society of Biblical Literature", "Logos Bible Software"],
        "date": "2010",
        "lang": "grc",
        "rights": "CC BY 4.0",
        "source": "SBLGNT, github LogosBible/SBLGNT, data/sblgnt/xml/Gal.xml and data/sblgntapp/text/Gal.txt",
        "identifier": "urn:uuid:6a4d8f2e-2b1c-4d0e-8d6c-5e2f1a9b7c33",
    }, body)


def hafez_divan(slug, poems=25):
    repo = "PerseusDL+canonical-farsiLit"
    x = fetch_file(slug, repo, "data/hafez/divan/hafez.divan.perseus-far1.xml")
    fetch_file(slug, repo, "README.md")
    ns = {"t": "http://www.tei-c.org/ns/1.0"}
    root = etree.fromstring(x.read_bytes())
    out = ['<html><body>']
    count = 0
    for poem in root.iterfind(".//t:div[@subtype='poem']", ns):
        count += 1
        if count > poems:
            break
        out.append(f"<h2>غزل {count}</h2>")
        lines = []
        for l in poem.iterfind("t:l", ns):
            segs = [(s.text or "").strip() for s in l.iterfind("t:seg", ns)]
            lines.append("<br/>".join(html.escape(s) for s in segs))
        out.append("<div class=\"poem\">" + "".join(f"<p>{b}</p>" for b in lines) + "</div>")
    out.append("</body></html>")
    (work_dir(slug) / "hafez.html").write_text("\n".join(out), encoding="utf-8")
    body = pandoc(["-f", "html", str(work_dir(slug) / "hafez.html")])
    write_manuscript(slug, {
        "title": "دیوان حافظ (غزل ۱–۲۵)",
        "author": "حافظ شیرازی",
        "date": "1389",
        "lang": "fa",
        "rights": "Poems in the public domain; Perseus/Open Philology digital text CC BY-SA 3.0 US",
        "source": "Perseus Digital Library, github PerseusDL/canonical-farsiLit, data/hafez/divan/hafez.divan.perseus-far1.xml (ganjoor.net; Qazvini–Ghani ed., Tehran 1941)",
    }, body)


def drop_bad_directives(text):
    """pandoc's Muse reader stops with an error on header directives whose name is
    not a plain word (text-amuse's test file carries #-test-me-, #__test__me__,
    #0_test_me, #hello___There): drop such a directive and its continuation lines,
    before the first heading.  Nothing else is touched."""
    out, skipping, in_header = [], False, True
    for line in text.split("\n"):
        if in_header and line.startswith("*"):
            in_header = False
        if in_header and line.startswith("#") and not re.match(r"#[A-Za-z]+(\s|$)", line):
            skipping = True
            continue
        if skipping and line.strip() and not line.startswith("#"):
            continue
        skipping = False
        out.append(line)
    return "\n".join(out)


def amuse_file(slug, repo, path, meta, extra=()):
    p = fetch_file(slug, repo, path)
    for e in extra:
        src = fetch_file(slug, repo, e)
        shutil.copyfile(src, CORPUS / slug / Path(e).name)
    text = p.read_text(encoding="utf-8")
    fixed = drop_bad_directives(text)
    if fixed != text:
        print(f"{slug}: dropped header directives pandoc rejects")
        (work_dir(slug) / p.name).write_text(fixed, encoding="utf-8")
        p = work_dir(slug) / p.name
    # pass 2: Muse "secondary footnotes" ({1} inside [1]) are notes inside notes;
    # pandoc's Markdown writer prints their calls but not their text (N005 in pass 1)
    body = pandoc(["-f", "muse", "--lua-filter", str(CORPUS / "flatten-notes.lua"), str(p)])
    write_manuscript(slug, meta, body)


def perlman_ten_theses(slug):
    amuse_file(slug, "melmothx+text-amuse", "t/testfiles/10_theses.muse", {
        "title": "Ten Theses on the Proliferation of Egocrats",
        "author": "Fredy Perlman",
        "date": "1977",
        "lang": "en",
        "rights": "Anti-Copyright",
        "source": "The Anarchist Library Muse text, as kept in github melmothx/text-amuse, t/testfiles/10_theses.muse (retrieved by the library on March 2nd, 2009 from marxists.org)",
    })


def amuse_manual(slug):
    amuse_file(slug, "melmothx+text-amuse", "t/testfiles/manual.muse", {
        "title": "The Text::Amuse markup manual",
        "subtitle": "The writer’s guide",
        "author": ["Marco Pessotto", "Michael Olson", "John Wiegley"],
        "date": "2018-01-28",
        "lang": "en",
        "rights": "GNU Free Documentation License 1.2 or later, no Invariant Sections",
        "source": "github melmothx/text-amuse, t/testfiles/manual.muse",
        "identifier": "urn:uuid:0c7f2a7e-9a51-4d7a-bb1e-2f3d8c4e5a66",
    }, extra=["t/testfiles/m-l-manual-logo.png"])


def amuse_bidi_fa(slug):
    amuse_file(slug, "melmothx+text-amuse", "t/testfiles/bidi-1.muse", {
        "title": "جنگ صلیبی دوم",
        "author": "Wikipedia contributors (فارسی)",
        "date": "2017",
        "lang": "fa",
        "rights": "CC BY-SA 3.0",
        "source": "github melmothx/text-amuse, t/testfiles/bidi-1.muse (excerpts of Persian Wikipedia)",
    })


def entre_nous(slug):
    repo = "GITenberg+Entre-Nous--13-Lectures-fran-aises---l-usage-des--coles-primaires---I_44157"
    p = fetch_file(slug, repo, "44157-h/44157-h.htm")
    src = p.read_text(encoding="utf-8")
    # pass 2 adds music/ (links to .mid and .pdf files: R001 in pass 1)
    for img in sorted(set(re.findall(r'(?:src|href)="((?:images|music)/[^"]+\.(?:jpg|png|gif|mid|pdf))"', src))):
        f = fetch_file(slug, repo, f"44157-h/{img}")
        dst = CORPUS / slug / img
        dst.parent.mkdir(exist_ok=True)
        shutil.copyfile(f, dst)
    body = pandoc(["-f", "html", str(p)])
    write_manuscript(slug, {
        "title": "Entre Nous",
        "subtitle": "Lectures françaises à l’usage des écoles primaires, I",
        "author": "Lucie Vos",
        "date": "1906",
        "lang": "fr",
        "rights": "Public domain (Project Gutenberg eBook #44157)",
        "source": "Project Gutenberg #44157, via github GITenberg/Entre-Nous..._44157, 44157-h/44157-h.htm",
        "identifier": "urn:uuid:9e3b5c1d-7f2a-4b8e-a1c4-3d5e6f708192",
    }, body)


def debian_guide(slug):
    repo = "GITenberg+Debian-GNULinux-Guide-to-Installation-and-Usage_6527"
    p = fetch_file(slug, repo, "6527-t/6527-t.tex")
    fetch_file(slug, repo, "6527-t/COPYING")
    # the file is ISO-8859-1 (\usepackage[latin1]{inputenc}); pandoc reads UTF-8 only
    utf8 = work_dir(slug) / "6527-t.utf8.tex"
    utf8.write_text(p.read_bytes().decode("latin-1"), encoding="utf-8")
    body = pandoc(["-f", "latex", str(utf8)])
    write_manuscript(slug, {
        "title": "Debian GNU/Linux: Guide to Installation and Usage",
        "author": ["John Goerzen", "Ossama Othman"],
        "date": "1999",
        "lang": "en",
        "rights": "GNU General Public License, version 2 or later",
        "source": "Project Gutenberg #6527, via github GITenberg/Debian-GNULinux-Guide-to-Installation-and-Usage_6527, 6527-t/6527-t.tex",
    }, body)


TEXTS = {
    "kropotkin-mutual-aid": kropotkin_mutual_aid,
    "morris-news-from-nowhere": morris_news_from_nowhere,
    "whitman-song-of-myself": whitman_song_of_myself,
    "barclay-offenbarung": barclay_offenbarung,
    "tolstoy-patriotizm": tolstoy_patriotizm,
    "pushkin-mednyj-vsadnik": pushkin_mednyj_vsadnik,
    "sblgnt-galatians": sblgnt_galatians,
    "hafez-divan": hafez_divan,
    "amuse-bidi-fa": amuse_bidi_fa,
    "perlman-ten-theses": perlman_ten_theses,
    "amuse-manual": amuse_manual,
    "entre-nous": entre_nous,
    # "debian-guide": debian_guide,  # not in the corpus: pandoc 3.9 cannot read it (see REPORT.md)
}

if __name__ == "__main__":
    for slug in sys.argv[1:] or TEXTS:
        (CORPUS / slug).mkdir(parents=True, exist_ok=True)
        TEXTS[slug](slug)
