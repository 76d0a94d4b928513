"""Formats as data: the paper sizes Samizdat knows, and the editions a build makes.

An `Edition` is one printed file: its page (trim), the sheet it is imposed on (none
for the reading PDF), whether it is tagged PDF/UA, its file name and the lane it is
made in. `plan()` turns the reader's choices into the table of editions; build,
verify, the library page and the tests iterate over that table. A new format is one
entry in TRIMS or SHEETS.
"""

import re
from dataclasses import dataclass, field

from .writing import fontstack

MM = 72 / 25.4
INCH = 72.0


@dataclass(frozen=True)
class Size:
    """A paper size: its name and portrait width and height in points."""

    name: str
    width: float
    height: float
    css: str = field(default="", compare=False)  # the CSS `size` value, in its own unit

    def __post_init__(self):
        if not self.css:
            object.__setattr__(self, "css", f"{self.width:.3f}pt {self.height:.3f}pt")

    @property
    def landscape(self):
        """(width, height) turned landscape, as a 2-up sheet is printed."""
        return max(self.width, self.height), min(self.width, self.height)

    @property
    def slug(self):
        """The size's name in file names: "a4", "letter", "120x180mm"."""
        return self.name.lower().replace(" ", "-")

    @property
    def portrait(self):
        """(width, height) upright, as a 4-up sheet is printed."""
        return min(self.width, self.height), max(self.width, self.height)

    @property
    def bleed(self):
        """Points a bound book's print files reach past this trim on every side: 0.125 in
        for a trim in inches (US print services' bleed), else 3 mm."""
        return BLEED_IN * INCH if self.css.endswith("in") else BLEED_MM * MM


@dataclass(frozen=True)
class Scheme:
    """How pages go on a sheet: `rows` rows of two pages on each side.

    One row (2-up) on a landscape sheet: fold it as it is. Two rows (4-up) on a
    portrait sheet: cut the pile across the middle, put the bottom halves under the
    top halves, fold. `flip` is the edge the printer flips on for every back to come
    out upright (the usual one for the sheet's orientation); with the other edge the
    backs are drawn turned 180°. `steps` tells the reader what to do."""

    name: str
    rows: int
    flip: str
    steps: str

    @property
    def sheet_pages(self):
        """Pages one sheet carries, both sides: a signature is a multiple of it."""
        return 4 * self.rows

    def face(self, sheet):
        """(width, height) of a side of `sheet` in this scheme."""
        return sheet.landscape if self.rows == 1 else sheet.portrait

    def holds(self, sheet, page):
        """Whether the scheme's pages fit on `sheet` unscaled."""
        width, height = self.face(sheet)
        return 2 * page.width <= width + 0.5 and self.rows * page.height <= height + 0.5


SCHEMES = {
    "2-up": Scheme("2-up", 1, "short", "duplex, short edge, fold, staple"),
    "4-up": Scheme("4-up", 2, "long", "duplex, long edge, cut across the middle, put the "
                   "bottom halves under the top halves, fold, staple"),
}


def _mm(name, width, height):
    return Size(name, width * MM, height * MM, f"{width:g}mm {height:g}mm")


def _in(name, width, height):
    return Size(name, width * INCH, height * INCH, f"{width:g}in {height:g}in")


# Trims a text can be set on. Quarter-letter is the pocket size of the US.
TRIMS = {
    "a5": _mm("A5", 148, 210),
    "a6": _mm("A6", 105, 148),
    "half-letter": _in("half-letter", 5.5, 8.5),
    "quarter-letter": _in("quarter-letter", 4.25, 5.5),
}
# Sheets a pamphlet can be printed on, smallest first (a custom trim takes the first
# that holds two of its pages).
SHEETS = {
    "a5": _mm("A5", 148, 210),
    "half-letter": _in("half-letter", 5.5, 8.5),
    "a4": _mm("A4", 210, 297),
    "letter": _in("Letter", 8.5, 11),
    "legal": _in("Legal", 8.5, 14),
    "a3": _mm("A3", 297, 420),
    "tabloid": _in("Tabloid", 11, 17),
}
# The sheet a trim is folded from: half the sheet is the page.
SHEET_OF_TRIM = {"a5": "a4", "a6": "a5", "half-letter": "letter", "quarter-letter": "half-letter"}
# ASCII digits: Python reads "١٢٠" as 120, CSS (the page size) does not
CUSTOM = re.compile(r"(\d+(?:\.\d+)?)x(\d+(?:\.\d+)?)(mm|in)", re.ASCII)
LIMITS_MM = (50, 500)  # a page smaller than a playing card or larger than A3 is a typo

# A bound book's files reach this far past the trim on every side, for the print
# service's knife (Lulu, IngramSpark and KDP ask 0.125 in; 3 mm is the metric trade's).
BLEED_MM = 3.0
BLEED_IN = 0.125

FONTS = {  # family name -> the house family in print.css
    "libertine": "Samizdat Serif",
    "gentium": "Samizdat Gentium",
}
TYPE_SIZES_PT = (7.0, 16.0)
OUTPUTS = ("epub", "pdf", "pamphlet", "pocket", "book")
DEFAULT_OUTPUTS = ("epub", "pdf", "pamphlet")  # a pocket edition is two more layouts


@dataclass(frozen=True)
class Ebook:
    """An output that is no page layout (`--outputs epub` makes them all): its kind, its
    file's name after the stem, its media type and what it is for (the catalog and the
    download page say it), and the check in verify.py that reads it back against the
    manuscript. It needs no layout, so the build and the cluster's client both run it
    on every e-book they install."""

    kind: str
    suffix: str
    media_type: str
    about: str
    check: str  # the name of a verify function: (path, ms, *, html, shown) -> [Finding]


EBOOKS = (
    Ebook("epub", ".epub", "application/epub+zip", "EPUB for e-readers and phones",
          "verify_epub"),
    Ebook("kepub", ".kepub.epub", "application/kepub+zip",
          "Kobo EPUB (kepub): on a Kobo, notes pop up", "verify_kepub"),
)
# Pages in a signature: a multiple of 4 (a sheet folded once); more than 32 sheets
# folded together neither staple nor sew.
SIGNATURE_PAGES = (4, 128)


class ChoiceError(ValueError):
    """A choice Samizdat cannot make: the message says what it accepts; `key` is the
    choice's name (a key of READERS)."""

    def __init__(self, message, key=None):
        super().__init__(message)
        self.key = key


def trim(text):
    """The trim named `text`: a name of TRIMS or WIDTHxHEIGHT with mm or in."""
    key = str(text).strip().lower()
    if key in TRIMS:
        return TRIMS[key]
    match = CUSTOM.fullmatch(key.replace(" ", ""))
    if not match:
        raise ChoiceError(f"trim {text!r}: one of {', '.join(TRIMS)} or WIDTHxHEIGHT with "
                          "mm or in (e.g. 120x180mm)")
    factor = MM if match[3] == "mm" else INCH
    width, height = float(match[1]) * factor, float(match[2]) * factor
    low, high = (v * MM for v in LIMITS_MM)
    if not (low <= width <= high and low <= height <= high):
        raise ChoiceError(f"trim {text!r}: each side between {LIMITS_MM[0]} and "
                          f"{LIMITS_MM[1]} mm")
    return Size(f"{match[1]}x{match[2]}{match[3]}", width, height,
                f"{match[1]}{match[3]} {match[2]}{match[3]}")


def sheet(text):
    """The sheet named `text` (a name of SHEETS)."""
    key = str(text).strip().lower()
    if key not in SHEETS:
        raise ChoiceError(f"sheet {text!r}: one of {', '.join(SHEETS)}")
    return SHEETS[key]


def sheet_for(page, scheme):
    """The sheet pages of size `page` are printed on in `scheme`: for 2-up the trim's
    own (A5 -> A4, A6 -> A5, half-letter -> Letter), else the smallest that holds them
    (4-up: A6 -> A4, quarter-letter -> Letter)."""
    for key, known in TRIMS.items():
        if known == page and scheme.rows == 1:
            return SHEETS[SHEET_OF_TRIM[key]]
    for candidate in SHEETS.values():
        if scheme.holds(candidate, page):
            return candidate
    raise ChoiceError(f"trim {page.name}: no sheet holds {scheme.name} of its pages", "trim")


def type_size(text):
    """A base type size in points from "10.5", "10.5pt"."""
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(pt)?", str(text).strip(), re.ASCII)
    value = float(match[1]) if match else None
    if value is None or not TYPE_SIZES_PT[0] <= value <= TYPE_SIZES_PT[1]:
        raise ChoiceError(f"type size {text!r}: points from {TYPE_SIZES_PT[0]:g} to "
                          f"{TYPE_SIZES_PT[1]:g} (e.g. 10.5pt)")
    return value


def font(text):
    """A bundled font family's name (a key of FONTS)."""
    key = str(text).strip().lower()
    if key not in FONTS:
        raise ChoiceError(f"font {text!r}: one of {', '.join(FONTS)}")
    return key


def outputs(value):
    """Outputs to make, from "epub,pdf" or a list (DEFAULT_OUTPUTS when not chosen)."""
    items = value if isinstance(value, list) else str(value).replace(",", " ").split()
    chosen = tuple(str(i).strip().lower() for i in items)
    unknown = [i for i in chosen if i not in OUTPUTS]
    if unknown or not chosen:
        raise ChoiceError(f"outputs {value!r}: one or more of {', '.join(OUTPUTS)}")
    return tuple(o for o in OUTPUTS if o in chosen)


def signature(text):
    """Pages per signature, (fewest, most): from "32" (every signature 32 pages) or
    "32-64" (each between, sizes chosen to need the fewest blank pages)."""
    match = re.fullmatch(r"(\d+)(?:\s*-\s*(\d+))?", str(text).strip(), re.ASCII)
    low, high = (int(match[1]), int(match[2] or match[1])) if match else (0, 0)
    if low % 4 or high % 4 or not SIGNATURE_PAGES[0] <= low <= high <= SIGNATURE_PAGES[1]:
        raise ChoiceError(f"signature {text!r}: pages, a multiple of 4 from "
                          f"{SIGNATURE_PAGES[0]} to {SIGNATURE_PAGES[1]}, or a range of "
                          "them (e.g. 32 or 32-64)")
    return low, high


# Each choice: its manuscript key, and how its text is read.
READERS = {"trim": trim, "sheet": sheet, "type-size": type_size, "font": font,
           "outputs": outputs, "signature": signature}


@dataclass(frozen=True)
class Choices:
    """The reader's choices for one build. `trim` None is the house default: A5, plus a
    half-letter edition for US Letter paper."""

    trim: Size | None = None
    sheet: Size | None = None
    type_size: float = 10.5
    font: str = "libertine"
    outputs: tuple = DEFAULT_OUTPUTS
    signature: tuple | None = None  # (fewest, most) pages; None: impose's default

    @classmethod
    def of(cls, meta, given=None):
        """Choices from a manuscript's metadata `meta`, overridden by `given` (the
        command line's {key: text}, None where not given). ChoiceError names the key."""
        values = {}
        for key, read in READERS.items():
            for source in ((given or {}).get(key), meta.get(key)):
                if source is not None:
                    try:
                        values[key.replace("-", "_")] = read(source)
                    except ChoiceError as error:
                        raise ChoiceError(str(error), key) from None
                    break
        return cls(**values)

    @property
    def css(self):
        """What the choices add to the house style."""
        family = f'"{FONTS[self.font]}"'
        rules = [f"html {{ font-size: {self.type_size:g}pt; }}"] if self.type_size != 10.5 else []
        if self.font != "libertine":
            stack = (f'{family}, "Samizdat Serif", "Samizdat Arabic", "Samizdat Hebrew", '
                     f'{fontstack.FAMILIES}, "Samizdat Mono"')  # print.css's, no generic
            rules += [f"html {{ font-family: {stack}; }}",
                      f"@page {{ @bottom-center {{ font-family: {stack}; }} "
                      f"@top-center {{ font-family: {stack}; }} }}"]
        return "\n".join(rules)


@dataclass(frozen=True)
class Edition:
    """One printed file of a build.

    `kind` names it in the build's table of files (and the library page); `suffix`
    follows the text's stem in its file name; `page` is its trim; `sheet` the sheet
    it is imposed on by `scheme` (both None: the reading PDF); `tagged` makes it
    PDF/UA-1; `lane` 0 is made in the build's own process, 1 beside it (see
    build.make_all), when it needs a layout of its own (see framed_from); `output` is
    the choice of OUTPUTS that asks for it; `bound` names the file of a bound book for
    a print service ("interior" or "cover"), made from the layout of its trim."""

    kind: str
    suffix: str
    page: Size
    sheet: Size | None = None
    scheme: Scheme | None = None
    tagged: bool = False
    lane: int = 0
    output: str = "pdf"
    bound: str = ""

    @property
    def reading(self):
        """Whether this is the reading PDF (a layout of its own, not imposed or bound)."""
        return self.sheet is None and not self.bound

    @property
    def about(self):
        """What the file is, for the library page and the catalog."""
        if self.bound:
            return BOUND[self.bound].format(page=self.page.name,
                                            bleed=_bleed_text(self.page))
        if self.sheet is None:
            return f"PDF ({self.page.name}) for reading on screen or printing single pages"
        what = "Pamphlet" if self.output == "pamphlet" else f"Pocket book ({self.page.name})"
        return f"{what} to print on {self.sheet.name}: {self.scheme.steps}"

    def file(self, stem):
        return f"{stem}{self.suffix}"


def reading(page):
    """The reading PDF of `page`s: tagged, in the build's own lane."""
    return Edition("pdf", ".pdf", page, tagged=True)


# What the files of a bound book are for (Edition.about).
BOUND = {
    "interior": "Book interior ({page}, PDF/X-1a, {bleed} bleed) for a print service",
    "cover": "Book cover ({page}: back, spine and front on one sheet, {bleed} bleed) for a "
             "print service, its spine as thick as the interior",
}


def _bleed_text(page):
    return f"{BLEED_IN:g} in" if page.css.endswith("in") else f"{BLEED_MM:g} mm"


def bound(page):
    """The bound book of `page`s (a print service's two files): its interior, the
    layout of that trim, and its cover wrap. In the build's own lane, where the layout
    is made."""
    return (Edition("book-interior", "-book-interior.pdf", page, output="book",
                    bound="interior"),
            Edition("book-cover", "-book-cover.pdf", page, output="book", bound="cover"))


def imposed(output, page, on, *, lane=0):
    """The `output` ("pamphlet": 2-up, "pocket": 4-up) of `page`s on sheet `on`."""
    scheme = SCHEMES["2-up" if output == "pamphlet" else "4-up"]
    return Edition(f"{output}-{on.slug}", f"-{output}-{on.slug}.pdf", page, on, scheme,
                   lane=lane, output=output)


# The house editions, when the reader chooses no trim and no sheet: A5 for A4 paper and
# half-letter for US Letter, and (when asked for) the pocket books A6 and quarter-letter
# 4-up. Lane 1 runs beside lane 0: about half the work each.
HOUSE = (
    reading(TRIMS["a5"]),
    imposed("pamphlet", TRIMS["a5"], SHEETS["a4"]),
    imposed("pamphlet", TRIMS["half-letter"], SHEETS["letter"], lane=1),
    imposed("pocket", TRIMS["a6"], SHEETS["a4"]),
    imposed("pocket", TRIMS["quarter-letter"], SHEETS["letter"], lane=1),
    *bound(TRIMS["a5"]),
)


# An edition whose trim is as tall as a laid-out trim, and within FRAME_MM as wide,
# takes that layout's pages centred on its own, unscaled (impose.frame): the A4 and
# Letter pamphlets then have the same pages, line for line, and a build lays the text
# out once, not twice. Only while the layout's ink stays MIN_MARGIN_MM from the new
# page's edges (an office printer leaves about 5 mm blank), which build checks, else
# the trim gets a layout of its own. A5 on half-letter: 8.4 mm narrower, the 15 mm side
# margins become 10.8.
FRAME_MM = 10.0
MIN_MARGIN_MM = 10.0
TOLERANCE_PT = 0.5


def near(page, laid_out):
    """Whether `page` may take the pages of a layout of trim `laid_out` (see FRAME_MM):
    as tall or taller, and within FRAME_MM as wide. Only the side margins are cut: the
    top and bottom ones hold the running heads and the folios (A6's folios would come
    within 5 mm of a quarter-letter page's foot)."""
    return (page != laid_out and page.height >= laid_out.height - TOLERANCE_PT
            and abs(page.width - laid_out.width) <= FRAME_MM * MM)


def framed_from(table, edition):
    """The trim whose layout (in lane 0) `edition` of `table` takes its pages from, or
    None when it needs a layout of its own: an imposition whose trim none of lane 0's
    is near. Lane 0's own trims are always laid out."""
    own = [e.page for e in table if e.lane == 0]
    if not edition.sheet or edition.page in own:
        return None
    return next((page for page in own if near(edition.page, page)), None)


def lane_of(table, edition):
    """The lane `edition` of `table` is made in: a framed edition waits for its layout,
    in lane 0; the others in their own."""
    return 0 if framed_from(table, edition) else edition.lane


def plan(choices=Choices()):
    """The editions `choices` ask for, the reading PDF first: the house's, or those of
    the chosen trim (each imposition on the chosen sheet or the one its scheme needs)."""
    if choices.trim is None and choices.sheet is None:
        table = HOUSE
    else:
        page = choices.trim or TRIMS["a5"]
        table = [reading(page)]
        for output in ("pamphlet", "pocket"):
            if output in choices.outputs:
                table.append(imposed(output, page, _sheet_of(page, output, choices.sheet)))
        table += bound(page)
    return [e for e in table if e.output in choices.outputs]


def _sheet_of(page, output, chosen):
    scheme = SCHEMES["2-up" if output == "pamphlet" else "4-up"]
    on = chosen or sheet_for(page, scheme)
    if not scheme.holds(on, page):
        how = "two" if scheme.rows == 1 else "four"
        raise ChoiceError(f"sheet {on.name}: {how} {page.name} pages do not fit on it "
                          f"{'side by side' if scheme.rows == 1 else 'two by two'}", "sheet")
    return on


def printer_test(on):
    """(kind, file name suffix) of the printer test sheet for sheet `on` (A4's is the
    plain "-printer-test.pdf", as it always was)."""
    tail = "" if on.slug == "a4" else f"-{on.slug}"
    return f"printer-test{tail}", f"-printer-test{tail}.pdf"
