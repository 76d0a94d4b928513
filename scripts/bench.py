"""make bench: Samizdat's build against the same outputs made by hand, side by side.

Interleaved rounds of
  - `samizdat build MANUSCRIPT --out TMP` (one process, all outputs, verified), and
  - by hand with the tools' own command lines: pandoc -> EPUB, pandoc -> HTML,
    `weasyprint` CLI once per page size (A5, half-letter), `pdfimpose saddle` once
    per paper size (pdfimpose lives in a separate venv, .bench-venv: it pulls
    PyMuPDF and onnxruntime, which Samizdat does not need);
then `make` with nothing changed, the peak memory of a build, and a library of 20
copies built as one library against one `samizdat build` after another (and against
`--jobs 1`), in interleaved rounds; then the same side by side for two long texts: a
book (Kropotkin's Mutual Aid, 322 notes, tests/corpus) and a novel given 2,000 notes
(Morris's News from Nowhere, each note quoting the sentence after its call), with the
time per A5 page beside the first text's. Prints medians and ratios and writes
build/bench.json. Figures, not assertions: CI does not run this.
`python scripts/bench.py long` runs the long texts only; `python scripts/bench.py cluster`
a 100-text library built here and through a local Dask scheduler with two workers.
"""

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv" / "bin"
BENCH_VENV = ROOT / ".bench-venv" / "bin"
MANUSCRIPT = ROOT / "manuscript" / "workers-power.md"
PACKAGE = ROOT / "scripts" / "samizdat"
ROUNDS = 5
LIBRARY = 20
LIBRARY_ROUNDS = 4


def timed(command, **kwargs):
    """Wall time of a command that must succeed."""
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, **kwargs)
    return time.perf_counter() - start


def samizdat_build(out, source=MANUSCRIPT):
    return timed([str(VENV / "samizdat"), "build", str(source), "--out", str(out), "-q"])


def by_hand(out, source=MANUSCRIPT):
    """The four outputs with the tools' own command lines, one after another: pandoc
    (EPUB; print HTML with the house's template and filters), the `weasyprint` command
    once per page size with the house's style (the reading PDF as PDF/UA-1, as
    Samizdat's), `pdfimpose saddle` once per paper. No verification: that is Samizdat's
    own."""
    import pypandoc

    pandoc = pypandoc.get_pandoc_path()
    css = ROOT / "styles" / "print.css"
    html = out / "wp.html"
    steps = [
        [pandoc, str(source), "-t", "epub3", "--toc", "-o", str(out / "wp.epub")],
        # the house's template and filters, as the tools' own command line takes them:
        # notes at the foot of their page, the contents, the colophon
        [pandoc, str(source), "-t", "html5", "--standalone", "--toc", "--toc-depth=2",
         "-M", "samizdat-contents=true", "--template", str(PACKAGE / "templates" / "print.html"),
         *[f"--lua-filter={PACKAGE / 'filters' / name}.lua"
           for name in ("house", "print-blocks", "colophon", "print-notes")],
         "-o", str(html)],
    ]
    # The reading PDF is PDF/UA-1, as Samizdat's is (tagged: a screen reader can read
    # it); the half-letter layout is only imposed, untagged, as Samizdat's own would be.
    for name, size, variant in (("a5", "148mm 210mm", ["--pdf-variant", "pdf/ua-1"]),
                                ("letter", "5.5in 8.5in", [])):
        page = out / f"{name}.css"
        page.write_text(f"@page {{ size: {size} }}")
        steps.append([str(VENV / "weasyprint"), *variant, "-s", str(css), "-s", str(page),
                      str(html), str(out / f"wp-{name}.pdf")])
    for name, paper in (("a5", "A4"), ("letter", "letter")):
        steps.append([str(BENCH_VENV / "pdfimpose"), "saddle", "--format", paper,
                      str(out / f"wp-{name}.pdf"), "-o", str(out / f"wp-{name}-pamphlet.pdf")])
    start = time.perf_counter()
    for step in steps:
        subprocess.run(step, check=True, capture_output=True, cwd=out)
    return time.perf_counter() - start


def peak_memory_mb():
    """Largest resident set of any one process of a `samizdat build`, in MB."""
    with tempfile.TemporaryDirectory() as tmp:
        probe = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, "
                 "capture_output=True); "
                 "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
        result = subprocess.run([sys.executable, "-c", probe, str(VENV / "samizdat"), "build",
                                 str(MANUSCRIPT), "--out", tmp, "-q"],
                                check=True, capture_output=True, text=True)
    return int(result.stdout) / 1024


def peak_tree_memory_mb():
    """Peak memory of a whole `samizdat build`, in MB: the sum over its process tree (the
    forked lane, pandoc) of each process's proportional set size (shared pages split
    between the processes that share them), sampled every 5 ms."""
    with tempfile.TemporaryDirectory() as tmp:
        build = subprocess.Popen([str(VENV / "samizdat"), "build", str(MANUSCRIPT), "--out",
                                  tmp, "-q"], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        peak = 0
        while build.poll() is None:
            peak = max(peak, sum(_pss_kb(pid) for pid in _tree(build.pid)))
            time.sleep(0.005)
    return peak / 1024


def _tree(pid):
    pids, index = [pid], 0
    while index < len(pids):
        for task in Path(f"/proc/{pids[index]}/task").glob("*/children"):
            try:
                pids += [int(child) for child in task.read_text().split()]
            except OSError:
                pass
        index += 1
    return pids


def _pss_kb(pid):
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:  # the process has just ended
        return 0
    return next((int(line.split()[1]) for line in rollup.splitlines()
                 if line.startswith("Pss:")), 0)


def make_nothing_changed():
    subprocess.run(["make", "-s"], cwd=ROOT, check=True, capture_output=True)
    return statistics.median(timed(["make", "-s"], cwd=ROOT) for _ in range(5))


def library(how):
    """Time to build 20 copies of the manuscript under different names:
    "together": one `samizdat build a.md b.md ...` (texts in parallel on all cores);
    "one by one": a shell loop of `samizdat build x.md` (each using its own two lanes);
    "jobs 1": one `samizdat build --jobs 1 a.md b.md ...` (one process, one text after
    another, no lanes)."""
    with tempfile.TemporaryDirectory() as tmp:
        sources = []
        for number in range(LIBRARY):
            source = Path(tmp) / "src" / f"copy-{number:02d}.md"
            source.parent.mkdir(exist_ok=True)
            shutil.copy(MANUSCRIPT, source)
            sources.append(str(source))
        command = [str(VENV / "samizdat"), "build", "--out", str(Path(tmp) / "out"), "-q"]
        if how == "together":
            return timed(command + sources)
        if how == "jobs 1":
            return timed(command + ["--jobs", "1"] + sources)
        return sum(timed(command + [source]) for source in sources)


def libraries():
    """Interleaved rounds of the three ways to build the library, every other round in
    the reverse order (this machine's speed drifts over minutes); returns the medians
    and each round's speedups (one by one / together, jobs 1 / together), which
    compare builds made a minute apart rather than ten."""
    times = {"together": [], "one by one": [], "jobs 1": []}
    for number in range(LIBRARY_ROUNDS):
        order = list(times) if number % 2 == 0 else list(reversed(times))
        for how in order:
            times[how].append(library(how))
            print(f"library round {number + 1}: {how} {times[how][-1]:.1f} s", file=sys.stderr)
    medians = {how: statistics.median(runs) for how, runs in times.items()}
    rounds = {"one by one": [], "jobs 1": []}
    for how, ratios in rounds.items():
        ratios += [other / together for other, together in zip(times[how], times["together"])]
    return medians, rounds


def ensure_pdfimpose():
    if not (BENCH_VENV / "pdfimpose").exists():
        print("Installing pdfimpose into .bench-venv (once)…", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(BENCH_VENV.parent)], check=True)
        subprocess.run([str(BENCH_VENV / "pip"), "install", "-q", "pdfimpose"], check=True)


CORPUS = ROOT / "tests" / "corpus"
LONG_ROUNDS = 3
NOTES = 2000


def annotated(out, count=NOTES):
    """News from Nowhere with `count` notes: after each sentence or clause (up to a
    semicolon) of a prose paragraph that
    ends 6 words or more past the last call, a note quoting the first twelve words of
    the next sentence (every note real prose). Returns (its path, the notes made)."""
    text = (CORPUS / "morris-news-from-nowhere" / "morris-news-from-nowhere.md").read_text()
    _, yaml, body = text.split("---\n", 2)
    yaml = re.sub(r"(?m)^title: .*$", "title: News from Nowhere, annotated", yaml)
    yaml += "identifier: urn:samizdat:bench:annotated-news-from-nowhere\n"
    paragraphs, notes, since = [], [], 0
    for paragraph in body.split("\n\n"):
        if not re.match(r"[A-Z\"“]", paragraph) or "Gutenberg" in paragraph:
            paragraphs.append(paragraph)  # headings, indented blocks, the licence
            continue
        sentences = re.split(r"(?<=[a-z][.!?;])\s+(?=[A-Za-z\"“])|"
                             r"(?<=[a-z][.!?][\"”])\s+(?=[A-Z\"“])", paragraph)
        for index, sentence in enumerate(sentences[:-1]):
            since += len(sentence.split())
            if since >= 6 and len(notes) < count and "[^" not in sentence:
                quote = " ".join(sentences[index + 1].split()[:12]).strip("*_[]\"“”")
                notes.append(f"[^n{len(notes) + 1}]: Compare: {quote}…")
                sentences[index] = sentence + f"[^n{len(notes)}]"
                since = 0
        paragraphs.append(" ".join(sentences))
    source = out / "annotated.md"
    source.write_text(f"---\n{yaml}---\n" + "\n\n".join(paragraphs).rstrip() + "\n\n" +
                      "\n\n".join(notes) + "\n", encoding="utf-8")
    return source, len(notes)


def a5_pages(folder):
    import pypdfium2

    pdf = next(p for p in Path(folder).glob("*.pdf") if "-pamphlet" not in p.name
               and "printer-test" not in p.name)
    return len(pypdfium2.PdfDocument(pdf))


def long_texts():
    """Samizdat against by hand for the first text, the long book and the annotated
    novel, interleaved, LONG_ROUNDS rounds; {name: figures}."""
    figures = {}
    with tempfile.TemporaryDirectory() as tmp:
        novel, count = annotated(Path(tmp))
        texts = {"first text": MANUSCRIPT,
                 "long book": CORPUS / "kropotkin-mutual-aid" / "kropotkin-mutual-aid.md",
                 f"{count} notes": novel}
        for name, source in texts.items():
            ours, hand = [], []
            for number in range(LONG_ROUNDS):
                for label, run, times in (("samizdat", samizdat_build, ours),
                                          ("by hand", by_hand, hand)):
                    out = Path(tmp) / f"{label}-{len(figures)}-{number}"
                    out.mkdir()
                    times.append(run(out, source))
                    print(f"{name} round {number + 1}: {label} {times[-1]:.1f} s",
                          file=sys.stderr)
            pages = a5_pages(out.parent / f"samizdat-{len(figures)}-0")
            figures[name] = {"samizdat_s": statistics.median(ours),
                             "by_hand_s": statistics.median(hand), "a5_pages": pages,
                             "ratio": statistics.median(ours) / statistics.median(hand),
                             "s_per_page": statistics.median(ours) / pages}
    return figures


def report_long(figures):
    for name, f in figures.items():
        print(f"{name:12} {f['a5_pages']:4d} A5 pages: samizdat {f['samizdat_s']:6.1f} s, "
              f"by hand {f['by_hand_s']:6.1f} s -> ratio {f['ratio']:.2f} (target <= 0.4); "
              f"{f['s_per_page'] * 1000:.0f} ms a page")


CLUSTER_TEXTS = 100


def dask_cluster(folder, workers=2):
    """A `dask scheduler` and `workers` one-thread `dask worker`s on 127.0.0.1:
    (address, processes)."""
    dask = str(VENV / "dask")
    info = Path(folder) / "scheduler.json"
    start = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", "0",
                               "--no-dashboard", "--scheduler-file", str(info)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    start += [subprocess.Popen([dask, "worker", "--scheduler-file", str(info), "--nthreads",
                                "1", "--no-dashboard", "--memory-limit", "0"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
              for _ in range(workers)]
    for _ in range(600):
        if info.exists() and info.stat().st_size:
            break
        time.sleep(0.1)
    address = json.loads(info.read_text())["address"]
    from distributed import Client

    with Client(address, timeout=60) as client:
        client.wait_for_workers(workers, timeout=120)
    return address, start


def cluster_throughput(count=CLUSTER_TEXTS):
    """Texts a minute for a library of `count` texts (copies of the first text and the
    test library's two, under their own names): built here (`samizdat build`, all
    cores) and through a local scheduler with two one-thread workers."""
    figures = {"texts": count}
    with tempfile.TemporaryDirectory() as tmp:
        originals = [MANUSCRIPT, ROOT / "tests" / "library" / "a-short-letter.md",
                     ROOT / "tests" / "library" / "mutual-aid-note.md"]
        sources = []
        for number in range(count):
            source = Path(tmp) / "src" / f"text-{number:03d}.md"
            source.parent.mkdir(exist_ok=True)
            shutil.copy(originals[number % len(originals)], source)
            sources.append(str(source))
        command = [str(VENV / "samizdat"), "build", "-q", *sources]
        here = timed(command + ["--out", str(Path(tmp) / "here")])
        address, processes = dask_cluster(tmp)
        try:
            there = timed(command + ["--out", str(Path(tmp) / "there"), "--scheduler", address])
        finally:
            for process in processes:
                process.kill()
    figures["here_texts_per_min"] = count / here * 60
    figures["cluster_texts_per_min"] = count / there * 60
    return figures


def main():
    if sys.argv[1:] == ["cluster"]:
        figures = cluster_throughput()
        print(f"library of {figures['texts']}: here {figures['here_texts_per_min']:.1f} texts/min, "
              f"through a local scheduler with 2 workers {figures['cluster_texts_per_min']:.1f} "
              "texts/min")
        (ROOT / "build").mkdir(exist_ok=True)
        (ROOT / "build" / "bench-cluster.json").write_text(json.dumps(figures, indent=2) + "\n")
        return
    if sys.argv[1:] == ["long"]:
        ensure_pdfimpose()
        figures = long_texts()
        report_long(figures)
        (ROOT / "build").mkdir(exist_ok=True)
        (ROOT / "build" / "bench-long.json").write_text(json.dumps(figures, indent=2) + "\n")
        return
    ensure_pdfimpose()
    ours, hand = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for number in range(ROUNDS):
            for label, run, times in (("samizdat", samizdat_build, ours),
                                      ("by hand", by_hand, hand)):
                out = Path(tmp) / f"{label}-{number}"
                out.mkdir()
                times.append(run(out))
                print(f"round {number + 1}: {label} {times[-1]:.2f} s", file=sys.stderr)
    figures = {
        "rounds": ROUNDS,
        "samizdat_build_s": statistics.median(ours),
        "by_hand_s": statistics.median(hand),
        "make_nothing_changed_s": make_nothing_changed(),
        "peak_rss_mb": peak_memory_mb(),
        "peak_tree_pss_mb": peak_tree_memory_mb(),
        "library_copies": LIBRARY,
        "library_rounds": LIBRARY_ROUNDS,
        "cores": os.cpu_count(),
    }
    library_times, round_speedups = libraries()
    figures["library_parallel_s"] = library_times["together"]
    figures["library_sequential_s"] = library_times["one by one"]
    figures["library_jobs1_s"] = library_times["jobs 1"]
    figures["ratio_to_by_hand"] = figures["samizdat_build_s"] / figures["by_hand_s"]
    figures["library_speedup"] = figures["library_sequential_s"] / figures["library_parallel_s"]
    figures["library_speedup_vs_jobs1"] = (figures["library_jobs1_s"]
                                           / figures["library_parallel_s"])
    figures["library_speedup_by_round"] = round_speedups["one by one"]
    figures["library_speedup_by_round_median"] = statistics.median(round_speedups["one by one"])
    figures["library_speedup_vs_jobs1_by_round"] = round_speedups["jobs 1"]
    figures["long"] = long_texts()
    figures["cluster"] = cluster_throughput()
    report(figures)
    report_long(figures["long"])
    (ROOT / "build").mkdir(exist_ok=True)
    (ROOT / "build" / "bench.json").write_text(json.dumps(figures, indent=2) + "\n")


def report(f):
    print(f"samizdat build   {f['samizdat_build_s']:.2f} s (median of {f['rounds']})\n"
          f"by hand          {f['by_hand_s']:.2f} s  -> ratio {f['ratio_to_by_hand']:.2f}"
          f" (target <= 0.5)\n"
          f"make, unchanged  {f['make_nothing_changed_s']:.3f} s (target < 0.3)\n"
          f"peak memory      {f['peak_tree_pss_mb']:.0f} MB, all processes together "
          f"(target < 400); largest process {f['peak_rss_mb']:.0f} MB\n"
          f"library of {f['library_copies']}    {f['library_parallel_s']:.1f} s parallel "
          f"(median of {f['library_rounds']})\n"
          f"  vs one `samizdat build` after another {f['library_sequential_s']:.1f} s -> "
          f"{f['library_speedup']:.2f}x (target >= 1.7)\n"
          f"  round by round {_list(f['library_speedup_by_round'])} -> median "
          f"{f['library_speedup_by_round_median']:.2f}x\n"
          f"  vs --jobs 1 (one process, no lanes) {f['library_jobs1_s']:.1f} s -> "
          f"{f['library_speedup_vs_jobs1']:.2f}x (round by round "
          f"{_list(f['library_speedup_vs_jobs1_by_round'])})")


def _list(values):
    return ", ".join(f"{value:.2f}" for value in values)


if __name__ == "__main__":
    main()
