#!/usr/bin/env python3
"""Gather the bench corpus (issue 25): real texts from git snapshots of public
repositories, converted mechanically, stored compressed in tests/corpus/bench/.

It lives beside convert.py (whose helpers it uses: pandoc, Standard Ebooks' notes,
flatten-notes.lua) because it is the same job at scale: the samizdat package under
scripts/ must not carry corpus tooling, and tests/ is where the corpus is read.

Each source below picks its texts from a snapshot by a fixed rule (smallest files
first, every file of a folder, ...) so that the same snapshot gives the same corpus;
every file is read with `git show COMMIT:PATH` from /work/.mirror/<owner>+<name>
(what the search tool's `fetch` brings). Conversion is mechanical only:

- Muse (amusewiki): the .muse file as received (Samizdat reads Muse itself), and the
  images it names; a samizdat.yaml beside it gives the licence (a Muse header has none).
- Markdown, plain text: pandoc -f markdown, or (verse) each line a line of a line block.
- HTML (Standard Ebooks): the spine's files joined, SE notes as pandoc notes; pandoc -f html.
- TEI (ELTeC): elements mapped one to one onto HTML (div/head, p, l, lg, hi, note,
  quote, list); pandoc -f html.
Then a YAML block from the source's own metadata. No hand edits anywhere.

Output: bench/<slug>.tar.xz (<slug>/<slug>.md or .muse, its images, SOURCE.txt) and
bench/MANIFEST.tsv (one line a text: slug, lang, script, kind, format, repository,
commit, paths, licence). Usage: gather.py [SOURCE ...] (default: every source).
"""
import csv
import html
import io
import json
import re
import subprocess
import sys
import tarfile
import textwrap
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import yaml
from lxml import etree

sys.path.insert(0, str(Path(__file__).parent))
from convert import CORPUS, PANDOC, se_notes_to_pandoc  # noqa: E402

MIRROR = Path("/work/.mirror")
BENCH = CORPUS / "bench"
FIELDS = ("slug", "lang", "script", "kind", "format", "repository", "commit", "paths",
          "licence")


@dataclass
class Text:
    slug: str
    lang: str
    script: str
    kind: str
    repo: str
    commit: str
    paths: list
    licence: str
    conversion: str
    name: str  # the manuscript's file name inside <slug>/
    files: dict = field(default_factory=dict)  # name -> bytes

    @property
    def format(self):
        return "muse" if self.name.endswith(".muse") else "md"


# ----------------------------------------------------------------- git snapshots
def gitdir(repo):
    base = MIRROR / repo.replace("/", "+") / "repo"
    return base / ".git" if (base / ".git").is_dir() else base


def git(repo, *args):
    return subprocess.run(["git", "--git-dir", str(gitdir(repo)), *args], check=True,
                          capture_output=True).stdout


def head(repo):
    return git(repo, "rev-parse", "HEAD").decode().strip()


def listing(repo, commit, under=""):
    """[(size, path)] of the blobs under `under` at `commit`, by path."""
    out = git(repo, "ls-tree", "-r", "-l", "-z", commit, "--", under or ".")
    rows = []
    for entry in out.decode().split("\0"):
        if entry:
            meta, path = entry.split("\t", 1)
            kind, size = meta.split()[1], meta.split()[3]
            if kind == "blob" and size.isdigit():  # "BAD": a blob the snapshot lacks
                rows.append((int(size), path))
    return sorted(rows, key=lambda r: r[1])


def commit_date(repo, commit):
    """The snapshot commit's date (YYYY-MM-DD): the digital edition's date, where the
    source says no other."""
    return git(repo, "log", "-1", "--format=%cs", commit).decode().strip()


def show(repo, commit, path):
    return git(repo, "show", f"{commit}:{path}")


def pandoc(fmt, data, *extra):
    r = subprocess.run([PANDOC, "-f", fmt, *extra, "-t", "markdown", "--wrap=none"],
                       input=data, capture_output=True, check=True)
    return r.stdout.decode()


def manuscript(meta, body):
    head_ = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=10_000)
    return ("---\n" + head_ + "---\n\n" + body.lstrip("\n")).encode("utf-8")


def line_blocks(text):
    """A plain-text poem as pandoc line blocks: each line a line, stanzas apart."""
    lines = textwrap.dedent(text).splitlines()
    return "\n".join(f"| {line.rstrip()}" if line.strip() else "" for line in lines)


def slugify(s, limit=40):
    """A file name's stem: letters (with their combining marks) and digits, '-' between."""
    kept = "".join(c if c.isalnum() or c == "_" or unicodedata.category(c)[0] == "M"
                   else " " for c in s.lower())
    return "-".join(kept.split())[:limit].strip("-")


# ----------------------------------------------------------------- Muse (amusewiki)
MUSE_REPOS = {
    "melmothx/text-amuse": ("t/testfiles/", "Text::Amuse's test file (Perl's terms: "
                            "Artistic or GPL); texts it quotes are public domain or "
                            "Anti-Copyright library texts"),
    "melmothx/text-amuse-compile": ("t/", "Text::Amuse::Compile's test file (Perl's "
                                    "terms: Artistic or GPL)"),
    "melmothx/amusewiki": ("", "amusewiki's file (GPL 3 or later; the site's fixture "
                           "texts)"),
}


def muse_header(text):
    head_ = {}
    for line in text.splitlines():
        m = re.match(r"#(\w+)\s+(.*)", line)
        if not m:
            break
        head_[m.group(1).lower()] = m.group(2)
    return head_


def muse_kind(text):
    """What a Muse text mostly is, by its markup: verse, a table, images, notes."""
    for mark, kind in (("<verse>", "verse"), (" | ", "table"), ("[[", "images"),
                       ("\n[1] ", "notes")):
        if mark in text:
            return kind
    return "prose"


def muse_texts(minimum=700):
    """Every .muse file of the amusewiki repositories of `minimum` bytes or more that
    has a #title and some body; duplicates (same bytes) once."""
    seen, slugs = set(), set()
    for repo, (under, licence) in MUSE_REPOS.items():
        commit = head(repo)
        for size, path in listing(repo, commit, under):
            if not path.endswith(".muse") or size < minimum:
                continue
            data = show(repo, commit, path)
            text = data.decode("utf-8", "replace")
            meta = muse_header(text)
            if data in seen or "title" not in meta:
                continue
            seen.add(data)
            stem = slugify(PurePosixPath(path).stem, 30)
            slug = f"muse-{repo.split('/')[1].replace('text-', '')}-{stem}"
            while slug in slugs:
                slug += "-2"
            slugs.add(slug)
            files = {f"{stem}.muse": data}
            folder = str(PurePosixPath(path).parent)
            for img in sorted(set(re.findall(r"\[\[([\w.-]+\.(?:png|jpe?g|gif))", text))):
                try:
                    files[img] = show(repo, commit, f"{folder}/{img}")
                except subprocess.CalledProcessError:
                    pass  # a link to an image the repository lacks: as received
            files["samizdat.yaml"] = yaml.safe_dump({"rights": licence}).encode()
            lang = meta.get("lang", "en").split()[0] if meta.get("lang") else "en"
            yield Text(slug, lang, script_of(text), muse_kind(text), repo, commit,
                       [path, *[f"{folder}/{i}" for i in files if i.endswith(("png", "jpg", "jpeg", "gif"))]],
                       licence, "the .muse file as received; samizdat.yaml gives the "
                       "licence (a Muse header has none)", f"{stem}.muse", files)


# ----------------------------------------------------------------- Standard Ebooks
SE_REPOS = ["standardebooks/william-shakespeare_hamlet",
            "standardebooks/oscar-wilde_the-importance-of-being-earnest",
            "standardebooks/george-bernard-shaw_pygmalion",
            "standardebooks/herman-melville_moby-dick",
            "standardebooks/bram-stoker_dracula",
            "standardebooks/mary-shelley_frankenstein",
            "standardebooks/ambrose-bierce_the-devils-dictionary",
            "standardebooks/arthur-conan-doyle_the-adventures-of-sherlock-holmes",
            "standardebooks/p-g-wodehouse_love-among-the-chickens",
            "standardebooks/jane-austen_pride-and-prejudice",
            "standardebooks/marcus-aurelius_meditations_george-long",
            "standardebooks/john-keats_poetry",
            "standardebooks/niccolo-machiavelli_the-prince_w-k-marriott",
            "standardebooks/walt-whitman_leaves-of-grass",
            "standardebooks/peter-kropotkin_mutual-aid"]
SE_SKIP = {"titlepage", "imprint", "colophon", "uncopyright", "halftitlepage", "toc",
           "loi"}
OPF = {"opf": "http://www.idpf.org/2007/opf", "dc": "http://purl.org/dc/elements/1.1/"}


SE_KINDS = {"bram-stoker_dracula": "letters", "mary-shelley_frankenstein": "letters",
            "ambrose-bierce_the-devils-dictionary": "dictionary"}


def se_kind(repo, opf):
    if repo.split("/")[1] in SE_KINDS:
        return SE_KINDS[repo.split("/")[1]]
    subjects = " ".join(opf.xpath("//dc:subject/text()", namespaces=OPF)).lower()
    for word, kind in (("drama", "play"), ("poetry", "verse"), ("letters", "letters")):
        if word in subjects:
            return kind
    return "prose"


def se_texts():
    for repo in SE_REPOS:
        commit = head(repo)
        opf = etree.fromstring(show(repo, commit, "src/epub/content.opf"))
        manifest = {i.get("id"): i.get("href")
                    for i in opf.iterfind(".//opf:manifest/opf:item", OPF)}
        spine = [manifest[r.get("idref")] for r in opf.iterfind(".//opf:itemref", OPF)]
        spine = [h for h in spine if PurePosixPath(h).stem not in SE_SKIP]
        parts, paths, files = [], ["src/epub/content.opf"], {}
        for href in spine:
            path = f"src/epub/{href}"
            paths.append(path)
            page = show(repo, commit, path).decode()
            parts.append(page[page.index(">", page.index("<body")) + 1:page.rindex("</body>")])
        joined = se_notes_to_pandoc("<html><body>\n" + "\n".join(parts) + "\n</body></html>")
        joined = re.sub(r'href="([a-z0-9-]+)\.xhtml#([^"]+)"', r'href="#\2"', joined)
        joined = re.sub(r'href="([a-z0-9-]+)\.xhtml"', r'href="#\1"', joined)
        for img in sorted(set(re.findall(r'src="\.\./images/([^"]+)"', joined))):
            files[f"images/{img}"] = show(repo, commit, f"src/epub/images/{img}")
            paths.append(f"src/epub/images/{img}")
        joined = joined.replace('src="../images/', 'src="images/')
        body = pandoc("html", joined.encode())
        dc = lambda k: [str(s) for s in opf.xpath(f"//dc:{k}/text()", namespaces=OPF)]  # noqa: E731
        slug = "se-" + repo.split("/")[1][:45].rstrip("-_")
        meta = {"title": dc("title")[0], "author": dc("creator")[0],
                "date": (dc("date") or [commit_date(repo, commit)])[0][:10],
                "lang": dc("language")[0],
                "rights": "Public domain; Standard Ebooks edition dedicated under CC0 1.0",
                "source": f"Standard Ebooks (github {repo})"}
        files[f"{slug}.md"] = manuscript(meta, body)
        yield Text(slug, meta["lang"], "Latn", se_kind(repo, opf), repo, commit, paths,
                   "CC0 1.0 (Standard Ebooks; the text public domain)",
                   "spine files but title page, imprint, colophon, uncopyright joined; "
                   "SE notes as pandoc notes; links between files made internal; "
                   "pandoc -f html", f"{slug}.md", files)


# ----------------------------------------------------------------- TEI (ELTeC)
ELTEC = {"fra": "fr", "deu": "de", "spa": "es", "ita": "it", "por": "pt", "hun": "hu",
         "pol": "pl", "srp": "sr", "ukr": "uk", "swe": "sv", "slv": "sl", "gre": "el"}
TEI = "{http://www.tei-c.org/ns/1.0}"
TAGS = {"p": "p", "quote": "blockquote", "list": "ul", "item": "li", "label": "b",
        "head": None, "lg": "div", "l": None, "hi": "em", "foreign": "em", "title": "em",
        "emph": "em", "trailer": "p", "signed": "p", "salute": "p", "epigraph": "blockquote",
        "closer": "div", "opener": "div", "sp": "div", "speaker": "b", "stage": "em"}


class TeiToHtml:
    """TEI elements onto HTML, one to one; notes as pandoc's HTML footnotes."""

    def __init__(self):
        self.notes = []

    def convert(self, el, depth=1):
        tag = el.tag.replace(TEI, "") if isinstance(el.tag, str) else ""
        inner = html.escape(el.text or "") + "".join(
            self.convert(c, depth + (tag == "div")) + html.escape(c.tail or "") for c in el)
        if tag in ("pb", "milestone", "gap", "lb", "fw", "") or not isinstance(el.tag, str):
            return "<br/>" if tag == "lb" else ""
        if tag == "note":
            self.notes.append(inner)
            n = len(self.notes)
            return (f'<a href="#fn{n}" id="fnref{n}" class="footnote-ref" '
                    f'role="doc-noteref"><sup>{n}</sup></a>')
        if tag == "head":
            h = min(depth, 6)
            return f"<h{h}>{inner}</h{h}>"
        if tag == "l":
            return f"{inner}<br/>"
        if tag == "lg":
            return f"<p>{inner}</p>"
        if tag == "div":
            return f"<section>{inner}</section>"
        name = TAGS.get(tag)
        return f"<{name}>{inner}</{name}>" if name else inner

    def document(self, text_el):
        body = self.convert(text_el)
        notes = "".join(f'<li id="fn{n}" role="doc-endnote"><p>{t} <a href="#fnref{n}" '
                        f'class="footnote-back" role="doc-backlink">↩</a></p></li>'
                        for n, t in enumerate(self.notes, 1))
        tail = f'<section class="footnotes" role="doc-endnotes"><ol>{notes}</ol></section>'
        return f"<html><body>{body}{tail if notes else ''}</body></html>"


def eltec_texts(each=7):
    """The `each` shortest level-1 novels of each ELTeC collection (its longest run to
    thousands of pages: the bench's long texts are RusLit's Idiot and Moby-Dick)."""
    for code, lang in ELTEC.items():
        repo = f"COST-ELTeC/ELTeC-{code}"
        commit = head(repo)
        rows = [r for r in listing(repo, commit, "level1") if r[1].endswith(".xml")]
        rows.sort()
        for size, path in rows[:each]:
            root = etree.fromstring(show(repo, commit, path))
            title = " ".join(root.findtext(f".//{TEI}titleStmt/{TEI}title", "").split())
            author = " ".join(root.findtext(f".//{TEI}titleStmt/{TEI}author", "").split())
            body = pandoc("html", TeiToHtml().document(root.find(f"{TEI}text")).encode())
            stem = PurePosixPath(path).stem
            slug = f"eltec-{code}-{slugify(stem, 40)}"
            date = (root.xpath("string(.//t:bibl[@type='firstEdition']/t:date)",
                               namespaces={"t": TEI[1:-1]}).strip()
                    or commit_date(repo, commit))
            meta = {"title": re.sub(r"\s*:\s*ELTeC.*$", "", title) or stem,
                    "author": author or "Anonymous", "date": date, "lang": lang,
                    "rights": "Public domain; ELTeC encoding CC BY 4.0",
                    "source": f"ELTeC (github {repo}), {path}"}
            yield Text(slug, lang, script_of(body), "novel", repo, commit, [path],
                       "Public domain text; ELTeC markup CC BY 4.0 (repository README)",
                       "TEI elements mapped one to one onto HTML (gather.TeiToHtml); "
                       "pandoc -f html", f"{slug}.md",
                       {f"{slug}.md": manuscript(meta, body)})


# ----------------------------------------------------------------- plain text
def ruslit_texts(prose=2, poems=3):
    """d0rj/RusLit: per author folder the `prose` shortest prose texts over 20 kB and
    the `poems` longest poems, every publicism text over 20 kB, and the longest novel."""
    repo = "d0rj/RusLit"
    commit = head(repo)
    rows = [r for r in listing(repo, commit) if r[1].endswith(".txt")]
    chosen = []
    folders = sorted({str(PurePosixPath(p).parent) for _, p in rows})
    for folder in folders:
        mine = [r for r in rows if str(PurePosixPath(r[1]).parent) == folder]
        if folder.startswith("poems/"):
            chosen += sorted(mine, reverse=True)[:poems]
        elif folder.startswith("prose/"):
            chosen += sorted(r for r in mine if r[0] > 20_000)[:prose]
        else:
            chosen += sorted(r for r in mine if r[0] > 20_000)[:4]
    chosen.append(max(r for r in rows if r[1].startswith("prose/Dostoevsky/")
                      and "Идиот" in r[1]))
    for size, path in chosen:
        p = PurePosixPath(path)
        kind = p.parts[0]
        text = decoded(show(repo, commit, path))
        verse = kind == "poems"
        body = pandoc("markdown", (line_blocks(text) if verse else text).encode())
        slug = f"ruslit-{slugify(p.parent.name, 12)}-{slugify(p.stem, 30)}"
        meta = {"title": p.stem, "author": p.parent.name,
                "date": years(repo, commit, p).get(p.stem) or commit_date(repo, commit),
                "lang": "ru",
                "rights": "Public domain", "source": f"github {repo}, {path}"}
        yield Text(slug, "ru", "Cyrl", "verse" if verse else "prose", repo, commit, [path],
                   "Public domain (repository README: all works public domain)",
                   "plain text: pandoc -f markdown" + (" on line blocks (verse)" if verse else ""),
                   f"{slug}.md", {f"{slug}.md": manuscript(meta, body)})


def years(repo, commit, path):
    """{title: year} from the info.csv beside a RusLit text (name,year), if any."""
    try:
        data = decoded(show(repo, commit, f"{path.parent}/info.csv"))
    except subprocess.CalledProcessError:
        return {}
    return {r.get("name", ""): r.get("year", "") for r in csv.DictReader(io.StringIO(data))}


def wikisource_texts():
    """cltk's Wikisource mirrors: Marathi, Bengali, Telugu verse."""
    yield from _cltk("cltk/marathi_text_wikisource", "mr", "Deva", "datasets/",
                     "Public domain text (13th-17th c.), transcribed on Marathi "
                     "Wikisource (CC BY-SA); the repository states no licence", group=False,
                     limit=12)
    yield from _cltk("cltk/bengali_text_wikisource", "bn", "Beng", "",
                     "CC BY-SA (repository LICENSE.md; Bengali Wikisource)", group=True)
    yield from _cltk("cltk/telugu_text_wikisource", "te", "Telu", "texts/",
                     "CC BY-SA (repository LICENSE.md; Telugu Wikisource)", group=False,
                     limit=12, single=True)


def _cltk(repo, lang, script, under, licence, group, limit=99, single=False):
    commit = head(repo)
    rows = [r for r in listing(repo, commit, under) if r[1].endswith(".txt")
            and not r[1].startswith("cltk_json")]
    works = {}
    for size, path in rows:
        works.setdefault(str(PurePosixPath(path).parent), []).append((size, path))
    picked = []
    for folder, files in sorted(works.items()):
        if single and len(files) > 1:
            continue
        if group:
            picked.append((folder, sorted(files, key=lambda r: int(re.sub(r"\D", "", PurePosixPath(r[1]).stem) or 0))))
        else:
            picked += [(f"{folder}/{PurePosixPath(p).stem}", [(s, p)]) for s, p in sorted(files)]
    picked = [p for p in picked if sum(s for s, _ in p[1]) > 2000]
    step = max(1, len(picked) // limit)
    for name, files in picked[::step][:limit]:
        parts = []
        for _, path in files:
            text = show(repo, commit, path).decode("utf-8-sig")
            head_ = f"## {PurePosixPath(path).stem}\n\n" if group else ""
            parts.append(head_ + line_blocks(text))
        body = pandoc("markdown", "\n\n".join(parts).encode())
        title = " ".join(PurePosixPath(name).parts[-2:]) if not group else PurePosixPath(name).name
        slug = f"ws-{lang}-{slugify(title, 40)}"
        meta = {"title": title, "author": "Wikisource", "date": commit_date(repo, commit),
                "lang": lang, "rights": licence,
                "source": f"github {repo}, {name}"}
        yield Text(slug, lang, script, "verse", repo, commit, [p for _, p in files], licence,
                   "plain text, each line a line of a pandoc line block"
                   + ("; the work's numbered files joined, one heading each" if group else ""),
                   f"{slug}.md", {f"{slug}.md": manuscript(meta, body)})


# ----------------------------------------------------------------- helpers
SCRIPTS = [("Cyrl", "\u0400", "\u04ff"), ("Grek", "\u0370", "\u03ff"),
           ("Grek", "\u1f00", "\u1fff"), ("Arab", "\u0600", "\u06ff"),
           ("Hebr", "\u0590", "\u05ff"), ("Deva", "\u0900", "\u097f"),
           ("Beng", "\u0980", "\u09ff"), ("Telu", "\u0c00", "\u0c7f"),
           ("Hani", "\u4e00", "\u9fff"), ("Kana", "\u3040", "\u30ff"),
           ("Hang", "\uac00", "\ud7af")]


def script_of(text):
    """The script most letters of `text` are in (Latn when none of SCRIPTS leads)."""
    counts = {"Latn": sum(c.isascii() and c.isalpha() for c in text)}
    for name, lo, hi in SCRIPTS:
        counts[name] = counts.get(name, 0) + sum(lo <= c <= hi for c in text)
    return max(counts, key=counts.get)


def decoded(data):
    """UTF-8, or (some of RusLit's files) Windows-1251."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1251")


def source_txt(t):
    return (f"slug: {t.slug}\nrepository: github.com/{t.repo}\ncommit: {t.commit}\n"
            f"path(s):\n" + "".join(f"  - {p}\n" for p in t.paths)
            + f"licence: {t.licence}\nconversion: {t.conversion}\n"
            f"script: tests/corpus/gather.py; pandoc 3.9, -t markdown --wrap=none\n")


def store(t):
    """bench/<slug>.tar.xz: <slug>/ with the text's files and SOURCE.txt."""
    files = dict(t.files)
    files["SOURCE.txt"] = source_txt(t).encode()
    with tarfile.open(BENCH / f"{t.slug}.tar.xz", "w:xz", preset=9) as tar:
        for name in sorted(files):
            info = tarfile.TarInfo(f"{t.slug}/{name}")
            info.size, info.mtime, info.mode = len(files[name]), 0, 0o644
            tar.addfile(info, io.BytesIO(files[name]))


SOURCES = {"muse": muse_texts, "se": se_texts, "eltec": eltec_texts,
           "ruslit": ruslit_texts, "wikisource": wikisource_texts}


def main(names):
    BENCH.mkdir(exist_ok=True)
    manifest = BENCH / "MANIFEST.tsv"
    rows = {}
    if manifest.exists():
        with manifest.open(encoding="utf-8") as f:
            rows = {r["slug"]: r for r in csv.DictReader(f, delimiter="\t")}
    for name in names or SOURCES:
        for old in [s for s, r in rows.items() if r.get("source") == name]:
            (BENCH / f"{old}.tar.xz").unlink(missing_ok=True)
            del rows[old]
        for t in SOURCES[name]():
            if t.slug in rows:
                raise SystemExit(f"two texts are named {t.slug}")
            store(t)
            rows[t.slug] = {"slug": t.slug, "lang": t.lang, "script": t.script,
                            "kind": t.kind, "format": t.format, "repository": t.repo,
                            "commit": t.commit, "paths": " ".join(t.paths[:3])
                            + (" …" if len(t.paths) > 3 else ""),
                            "licence": t.licence, "source": name}
            print(f"{name}: {t.slug} ({t.lang}, {t.kind})", flush=True)
        with manifest.open("w", encoding="utf-8", newline="") as f:
            w = csv.DictWriter(f, [*FIELDS, "source"], delimiter="\t", lineterminator="\n")
            w.writeheader()
            w.writerows(rows[s] for s in sorted(rows))


if __name__ == "__main__":
    main(sys.argv[1:])
