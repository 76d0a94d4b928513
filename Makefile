# Samizdat: `make` builds every manuscript/*.md into build/ as one library (the first
# text's four outputs keep their names and targets), `make test` runs the tests.
# Outputs are real files with real dependencies: nothing changed, nothing rebuilt (and
# within a run, samizdat's own cache skips each text whose inputs did not change).

PYTHON  ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STEM    := workers-power
SOURCES := $(sort $(wildcard manuscript/*.md))
# Everything a text may read beside it (images, samizdat.yaml): any change rebuilds (the
# build's own input key then skips each text whose files did not change).
INPUTS  := $(shell find manuscript -type f ! -name '* *' 2>/dev/null)
OUT     := build
OUTPUTS := $(OUT)/$(STEM).epub $(OUT)/$(STEM).pdf \
           $(OUT)/$(STEM)-pamphlet-a4.pdf $(OUT)/$(STEM)-pamphlet-letter.pdf \
           $(OUT)/$(STEM)-cover.png $(OUT)/$(STEM)-pamphlet-sheet1.png \
           $(OUT)/$(STEM)-printer-test.pdf $(OUT)/$(STEM)-printer-test-letter.pdf \
           $(OUT)/catalog.xml $(OUT)/index.html $(OUT)/SHA256SUMS
CODE    := $(wildcard scripts/samizdat/*.py scripts/samizdat/*/*.py scripts/samizdat/filters/*.lua \
                      scripts/samizdat/templates/*)
STYLES  := $(wildcard styles/*.css styles/fonts/*)
INSTALLED := $(VENV)/.installed
SYSTEM    := $(VENV)/.system
CHECKERS  := $(VENV)/.checkers
# Root on Debian (CI, a fresh machine) installs what is missing; elsewhere say what to install.
APT_INSTALL := if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
                 (apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq

.PHONY: all epub pdf pamphlet check ace test bench corpus docs clean distclean
all: $(OUTPUTS)

epub: $(OUT)/$(STEM).epub
pdf: $(OUT)/$(STEM).pdf
pamphlet: $(OUT)/$(STEM)-pamphlet-a4.pdf $(OUT)/$(STEM)-pamphlet-letter.pdf

# One command builds the whole shelf: one WeasyPrint import per text, texts in parallel.
# Other texts' file names depend on their own choices (trim, outputs): the first text's
# files and the library's stand for them, and any manuscript's change remakes them.
$(OUTPUTS) &: $(SOURCES) $(INPUTS) $(STYLES) $(CODE) $(INSTALLED)
	$(BIN)/samizdat build $(SOURCES) --out $(OUT)

$(INSTALLED): pyproject.toml $(SYSTEM)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[test]'
	touch $@

# System packages, idempotent. pandoc and PDFium come from PyPI and the fonts of Latin,
# Greek, Cyrillic, Arabic and Hebrew are in styles/fonts; every other script is set in a
# Noto font of these two packages (fontstack.py); harfbuzz-subset only makes WeasyPrint
# faster.
SCRIPT_FONTS := /usr/share/fonts/truetype/noto/NotoSerifTelugu-Regular.ttf \
                /usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc
$(SYSTEM):
	@mkdir -p $(VENV)
	@ldconfig -p | grep -q libharfbuzz-subset || { $(APT_INSTALL) libharfbuzz-subset0 || true; \
	  fi; }
	@for font in $(SCRIPT_FONTS); do test -f $$font || missing=1; done; \
	if [ -n "$$missing" ]; then { $(APT_INSTALL) fonts-noto-core fonts-noto-cjk; \
	  else echo "Fonts for scripts other than Latin, Greek, Cyrillic, Arabic and Hebrew \
	are missing: install Debian's fonts-noto-core and fonts-noto-cjk, or name a folder \
	holding their files in SAMIZDAT_FONT_DIRS" >&2; fi; }; fi
	@touch $@

# What the checks and tests need besides: Java runs EPUBCheck, Chromium renders the
# download page and runs Ace.
$(CHECKERS): $(INSTALLED)
	@command -v java >/dev/null || { $(APT_INSTALL) default-jre-headless; \
	  else echo "Java is missing: install a JRE for epubcheck" >&2; fi; }
	@command -v chromium >/dev/null || { $(APT_INSTALL) chromium; \
	  else echo "Chromium is missing: the page and Ace tests will be skipped" >&2; fi; }
	@touch $@

# Figures, not a test: samizdat build against the same outputs made by hand (build/bench.json).
bench: $(OUTPUTS)
	$(BIN)/python scripts/bench.py

# Every real text of tests/corpus, the long ones too (make test builds the short ones
# and a sample of the bench); then the bench: every text, folders and bench/*.tar.xz
# (tests/corpus/gather.py), built two at a time, its table in build/corpus.md.
CORPUS_JOBS ?= 2
corpus: $(INSTALLED) $(CHECKERS)
	SAMIZDAT_CORPUS=all $(BIN)/python -m pytest -q tests/test_corpus.py
	$(BIN)/python tests/corpus/bench.py -j $(CORPUS_JOBS)

# The README's pictures, rendered from the pamphlets (tests compare them): the first
# sheet, and the spines of the first text printed in one-sheet signatures.
docs: docs/first-sheet.png docs/spines.png
docs/first-sheet.png: $(OUT)/$(STEM)-pamphlet-a4.pdf
	$(BIN)/python -c "from samizdat.outputs.listing import sheet_proof; sheet_proof('$<', '$@', dpi=50)"
docs/spines.png: $(INSTALLED)
	$(BIN)/samizdat build manuscript/$(STEM).md --out $(OUT)/signatures --trim a5 \
	  --outputs pamphlet --signature 4 -q
	$(BIN)/python -c "from samizdat.outputs.listing import spines; \
	  spines('$(OUT)/signatures/$(STEM)-pamphlet-a4.pdf', '$@')"

# Ace by DAISY, the accessibility checker, where Node is present (tests run it too).
ACE := .ace/node_modules/.bin/ace-puppeteer
ACE_VERSION := 1.4.6
$(ACE):
	@if command -v npm >/dev/null; then \
	  npm install --silent --ignore-scripts --no-audit --no-fund --prefix .ace \
	    @daisy/ace@$(ACE_VERSION) && touch $@; \
	else echo "npm is missing: Ace (accessibility checker) not installed" >&2; fi

ace: $(OUTPUTS) $(CHECKERS) $(ACE)
	$(BIN)/python -m pytest -q tests/test_ace.py

check: $(OUTPUTS) $(CHECKERS) ace
	$(BIN)/samizdat check $(SOURCES)
	for epub in $(OUT)/*.epub; do $(BIN)/epubcheck "$$epub" || exit 1; done

test: $(INSTALLED) $(CHECKERS) $(ACE)
	$(BIN)/python -m pytest

clean:
	rm -rf $(OUT)

distclean: clean
	rm -rf $(VENV) .ace
