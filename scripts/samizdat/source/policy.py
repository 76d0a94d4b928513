"""What a book may carry: no active content, nothing fetched from elsewhere.

A library builds texts strangers send. An EPUB is a little website that e-readers
and browsers open; scripts, event handlers, `javascript:` links, frames, embedded
objects, remote resources and styles that load files have no place in a book and
would run (or phone home) on the reader's device. They are refused, with the
manuscript's line, rather than removed: a text that carries them was not written
for print or e-readers, and its sender should know (R004, R003).

The same rules judge raw HTML in the manuscript, attributes given with pandoc's
`{key=value}` syntax, link targets, SVG images, and (in verify) the EPUB's XHTML.
"""

import re
from urllib.parse import unquote, urlparse, urlsplit

from lxml import etree

# Elements that run code, embed other documents, or change how the book is read.
ACTIVE = {"script", "iframe", "frame", "frameset", "object", "embed", "applet", "base",
          "meta", "link", "style", "form", "portal", "noscript", "handler", "listener"}
# Attributes whose value is a URL the reader's device follows or fetches.
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "poster", "data", "background",
                  "cite", "longdesc", "srcset", "ping", "manifest", "codebase", "archive",
                  "usemap", "dynsrc", "lowsrc"}
# Of those, the ones that fetch (a link's href only goes where the reader clicks).
LOADING = {"src", "poster", "data", "background", "srcset", "dynsrc", "lowsrc", "codebase",
           "archive", "manifest"}
DANGEROUS_SCHEMES = {"javascript", "vbscript", "livescript", "data", "blob", "filesystem"}
NETWORK_SCHEMES = {"http", "https", "ftp", "ftps", "ws", "wss", "gopher"}
SAFE_DATA = re.compile(r"data:image/(png|jpeg|gif|webp)[;,]", re.IGNORECASE)
# What an address Samizdat writes into a book itself (the library's) may be.
WEB = {"http", "https"}
UNFIT = re.compile(r"[\x00-\x20\x7f-\x9f\u2028\u2029\ud800-\udfff]")
# The URI schemes EPUBCheck 5.3 knows (com.adobe.epubcheck.util.URISchemes: IANA's
# list of its day): a link of any other scheme is flagged (HTM-025), and e-readers
# follow none. Less file: (the sender's own disk) and the schemes R004 refuses.
# house.lua holds the same list: the two are compared by a test.
LINK_SCHEMES = frozenset("""
    aaa aaas acap afs cap cid crid dav dict dns dtn fax ftp go gopher h323 http https
    iax icap im imap info ipp irc iris iris-beep iris-lwz iris-xpc iris-xpcs ldap mailserver
    mailto mid modem msrp msrps mtqp mupdate news nfs nntp opaquelocktoken pack pop pres
    prospero rtsp service shttp sip sips snews snmp soap-beep soap-beeps tag tel telnet
    tftp thismessage tip tn3270 tv urn vemmi videotex wais xmlrpc-beep xmlrpc-beeps xmpp
    z39-50r z39-50s""".split())
SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
# The elements of HTML (WHATWG's, and the obsolete ones browsers still know), SVG 1.1
# and 2, and MathML, by name in lower case: what a tag in raw HTML may name. A "tag"
# naming none of them is text that pandoc's Markdown reader took for HTML: `<ВАЛЕРИК>`,
# a poem's title in angle brackets in a plain-text edition, or `cmd <file>` (R011).
# house.lua holds the same list: the two are compared by a test.
ELEMENTS = frozenset("""
    a abbr address area article aside audio b base bdi bdo blockquote body br button
    canvas caption cite code col colgroup data datalist dd del details dfn dialog div dl
    dt em embed fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 head header
    hgroup hr html i iframe img input ins kbd label legend li link main map mark menu
    meta meter nav noscript object ol optgroup option output p picture pre progress q rp
    rt ruby s samp script search section select slot small source span strong style sub
    summary sup table tbody td template textarea tfoot th thead time title tr track u ul
    var video wbr
    acronym applet basefont bgsound big blink center dir font frame frameset image
    isindex keygen listing marquee menuitem multicol nextid nobr noembed noframes param
    plaintext rb rtc spacer strike tt xmp portal
    svg animate animatemotion animatetransform animatecolor circle clippath defs desc
    discard ellipse feblend fecolormatrix fecomponenttransfer fecomposite
    feconvolvematrix fediffuselighting fedisplacementmap fedistantlight fedropshadow
    feflood fefunca fefuncb fefuncg fefuncr fegaussianblur feimage femerge femergenode
    femorphology feoffset fepointlight fespecularlighting fespotlight fetile feturbulence
    filter foreignobject g line lineargradient marker mask metadata mpath path pattern
    polygon polyline radialgradient rect set stop switch symbol text textpath tspan use
    view altglyph altglyphdef altglyphitem color-profile cursor font-face
    font-face-format font-face-name font-face-src font-face-uri glyph glyphref hkern
    missing-glyph tref vkern
    math maction annotation annotation-xml menclose merror mfenced mfrac mglyph mi
    mlabeledtr mlongdiv mmultiscripts mn mo mover mpadded mphantom mprescripts mroot
    mrow ms mscarries mscarry msgroup msline mspace msqrt msrow mstack mstyle msub
    msubsup msup mtable mtd mtext mtr munder munderover none semantics""".split())
# One tag, start, end or empty, as pandoc passes inline HTML on (its name, then the rest).
LONE_TAG = re.compile(r"</?([^ \t\n\r\f/<>!?][^ \t\n\r\f/<>]*)[^<>]*>")
# CSS that loads something or runs something (old IE's expression()).
CSS_LOADS = re.compile(r"url\s*\((?!\s*['\"]?#)|@import|expression\s*\(|behavior\s*:|"
                       r"-moz-binding", re.IGNORECASE)


def web_address(url):
    """Whether `url` is a web page's address (http or https, with a host) or a mailto:
    one: the only addresses written into a book from its metadata. A file: address
    would show the reader's own files, a javascript: one run a script."""
    try:
        parts = urlsplit(url)
    except ValueError:  # a host such as "[x" that is no address
        return False
    scheme = parts.scheme.lower()
    if UNFIT.search(url) or not (scheme in WEB and parts.netloc or scheme == "mailto"):
        return False
    return bool(parts.path) if scheme == "mailto" else True


def unfollowable(target):
    """Why a reader of the book cannot follow a link to `target` ('' if they can). A
    link goes to a place in the text (`#id`, judged by the caller) or to an address of
    a scheme EPUBCheck knows (the web, mailto:, tel:, ...). Not to a site's own page
    (`/library/x`: amusewiki texts carry them), nor to a file beside the text or
    outside it (the book does not carry it), nor to file: or an unknown scheme."""
    scheme = SCHEME.match(target.strip())
    name = scheme[1].lower() if scheme and len(scheme[1]) > 1 else ""  # C: is a drive
    if name in LINK_SCHEMES:
        fault = malformed(target)
        return f"is no well-formed address ({fault})" if fault else ""
    if name and name != "file":
        return f"is a {name}: address, which e-readers do not follow"
    if target.startswith("//"):
        return "is a web address without its scheme (write https:)"
    if target.startswith("/"):
        return "is a page of the site the text came from"
    return "names a file or page the book does not carry"


# Schemes the URL Standard treats as special: the address must name a host.
SPECIAL_SCHEMES = {"http", "https", "ftp", "ws", "wss"}
# What pandoc writes percent-encoded in a link (its escapeURI): no fault of the address.
PANDOC_ESCAPES = set(" \t\n\r\f\v<>|\"{}[]^`")
BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
FORBIDDEN_IN_HOST = set("\x00\t\n\r #/:<>?@[\\]^|%")


def malformed(target):
    """Why `target`, an address of a scheme EPUBCheck knows, is not a valid URL as the
    URL Standard reads it (EPUBCheck 5.3 parses links with galimatias and refuses such
    a link, RSC-020: amusewiki's `mailto:marco@pessotto.hr/\\text{test}`), '' if it is.
    Judged as pandoc writes it: a space or `{` it percent-encodes is no fault. The
    faults looked for are those galimatias reports: a backslash, a % not followed by
    two hex digits, a second #, a control character; for http(s), ftp and ws(s) no
    `//host`, an empty label in the host, a character no host may hold, a port past
    65535; for the others nothing after the scheme (`mailto:`)."""
    url = target.strip()
    if "\\" in url:
        return "a backslash"
    if BAD_PERCENT.search(url):
        return "a % not followed by two hex digits"
    if url.count("#") > 1:
        return "a second #"
    if CONTROLS.search(url):
        return "a control character"
    scheme, _, rest = url.partition(":")
    if scheme.lower() not in SPECIAL_SCHEMES:
        return "" if rest else "nothing after the scheme"
    if not rest.startswith("//"):
        return "no // before the host"
    authority = re.match(r"[^/?#]*", rest[2:])[0]
    host, _, port = authority.rpartition("@")[2].partition(":")
    decoded = unquote("".join(f"%{ord(c):02X}" if c in PANDOC_ESCAPES else c for c in host))
    if not host:
        return "no host"
    if host.startswith(".") or ".." in host:
        return "an empty part in the host name"
    if set(decoded) & FORBIDDEN_IN_HOST:
        return "a character no host name may hold"
    if port and not (port.isascii() and port.isdigit() and int(port) < 65536):
        return "a port that is no number below 65536"
    return ""


def url_problem(value, attribute="href", *, element=""):
    """(code, why) if a URL in `attribute` of `element` is not allowed; else None."""
    url = "".join(value.split()).lower()  # browsers ignore whitespace in schemes
    scheme = urlparse(url).scheme
    loads = attribute in LOADING or (attribute == "href" and element in ("image", "use",
                                                                         "feimage"))
    if scheme in DANGEROUS_SCHEMES and not (scheme == "data" and loads
                                            and SAFE_DATA.match(url)):
        return "R004", f"a {scheme}: URL ({_short(value)})"
    if loads and (scheme in NETWORK_SCHEMES or url.startswith("//")):
        return "R003", f"{_short(value)} would be fetched from the network"
    return None


def attribute_problem(name, value, *, element=""):
    """(code, why) if attribute `name`=`value` is not allowed; else None."""
    local = name.rsplit("}", 1)[-1].rsplit(":", 1)[-1].lower()
    if local.startswith("on"):
        return "R004", f"an event handler ({local}=)"
    if local == "style" and CSS_LOADS.search(value):
        return "R004", "a style that loads a file or runs code"
    if local in URL_ATTRIBUTES:
        return url_problem(value, local, element=element)
    return None


def element_problems(root):
    """[(code, why)] for `root` (an lxml element) and everything inside it."""
    found = []
    for element in root.iter():
        if not isinstance(element.tag, str):  # a comment or processing instruction
            continue
        tag = etree.QName(element).localname.lower()
        if tag in ACTIVE:
            found.append(("R004", f"a <{tag}> element"))
        if tag == "foreignobject":
            found.append(("R004", "a <foreignObject> (HTML inside an SVG)"))
        for name, value in element.attrib.items():
            problem = attribute_problem(name, value, element=tag)
            if problem:
                found.append(problem)
            elif _refers_out(tag, name, value):
                found.append(("R005", f"an SVG that refers to another file ({_short(value)})"))
    return found


def _refers_out(tag, name, value):
    """An SVG element that loads what its href names, naming something outside itself."""
    local = name.rsplit("}", 1)[-1].rsplit(":", 1)[-1].lower()
    value = value.strip()
    return (local == "href" and tag in ("image", "use", "feimage") and value
            and not value.startswith("#") and not SAFE_DATA.match(value))


def html_problems(raw):
    """[(code, why)] for a piece of raw HTML as the manuscript has it (a whole element,
    or one tag of it: pandoc passes inline HTML on tag by tag)."""
    import lxml.html

    if "<" not in raw:
        return []
    try:
        fragments = lxml.html.fragments_fromstring(raw)
    except (etree.ParserError, ValueError):
        return []  # nothing an HTML parser makes elements of
    found = []
    for fragment in fragments:
        if isinstance(fragment, str):
            continue
        found += element_problems(fragment)
    if re.search(r"<\s*/?\s*(svg|math)\b", raw, re.IGNORECASE):
        found += _xml_problems(raw)
    return found


def not_markup(raw):
    """The name of the tag that raw HTML `raw` is, when it is one tag alone (`<ВАЛЕРИК>`,
    `</file>`, `<ДВА СТИХОТВОРЕНИЯ>`) naming no element of HTML, SVG or MathML (no
    namespace prefix either), and nothing in it is refused (html_problems): text pandoc
    took for HTML, which the book prints as written (house.lua; R011). Else None."""
    match = LONE_TAG.fullmatch(raw.strip(" \t\n\r\f"))
    if not match:
        return None
    name = match[1]
    # ASCII case only, as house.lua lowers it (str.lower() makes the Kelvin sign a k)
    if ":" in name or name.encode("utf-8").lower().decode("utf-8") in ELEMENTS:
        return None
    return None if html_problems(raw) else name


def _xml_problems(raw):
    """Inline SVG and MathML read as XML too (the HTML parser drops what it does not
    know, such as xlink:href)."""
    try:
        root = etree.fromstring(f"<x>{raw}</x>".encode(), _strict_parser())
    except etree.XMLSyntaxError:
        return []
    return element_problems(root)


# Attribute prefixes an EPUB's XHTML declares (pandoc declares epub:).
KNOWN_PREFIXES = {"xml", "xmlns", "epub", "xlink"}
PREFIXED = re.compile(r"\s([A-Za-z_][\w.-]*):([A-Za-z_][\w.-]*)\s*=")


def undeclared_prefixes(raw):
    """The `prefix:name` attributes in tags of raw HTML `raw` whose prefix XHTML does
    not declare (lxml, and every EPUB reader, refuse such a document)."""
    found = []
    for tag in re.findall(r"<[A-Za-z][^<>]*>", raw):
        for prefix, name in PREFIXED.findall(tag):
            if prefix.lower() not in KNOWN_PREFIXES:
                found.append(f"{prefix}:{name}")
    return found


def svg_problem(data):
    """'' if the SVG `data` is safe to embed; else why not. Refused: any DOCTYPE with
    declarations (entities expand, external ones read files), and anything
    element_problems refuses, references to other files included."""
    head = data[:65536]
    if b"<!ENTITY" in head or re.search(rb"<!DOCTYPE[^>]*\[", head):
        return "an SVG that declares entities"
    if re.search(rb"<!DOCTYPE[^>]*\b(SYSTEM|PUBLIC)\b", head):
        return "an SVG that names an external DTD"
    try:
        root = etree.fromstring(data, _strict_parser())
    except etree.XMLSyntaxError as error:
        return f"an SVG that does not parse ({error.msg})"
    problems = [why for _, why in element_problems(root)] + [drawn_problem(root)]
    return "; ".join(list(dict.fromkeys(why for why in problems if why))[:3])


# What one SVG may draw, counting each element once for every time a render draws it
# (through <use>, patterns, markers, clip paths, masks, filters). Real figures (charts,
# maps) draw thousands to tens of thousands. WeasyPrint 70, measured: 100,000 rectangles
# written out (counted 100,001) 7 s and 410 MB; 100,000 through five levels of <use>
# (counted just past 200,000) 16 s and 250 MB; a 2 KB SVG whose <use>s nest ten deep
# draws 10^10, and ran for over 300 s at 1.2 GB. So: at most MAX_SVG_DRAWN per SVG,
# ~16 s and ~400 MB a render at worst.
MAX_SVG_DRAWN = 200_000
# Elements drawn only where something refers to them, never where they stand.
UNDRAWN = {"defs", "symbol", "pattern", "marker", "clippath", "mask", "filter",
           "lineargradient", "radialgradient"}
# Elements that draw what their href names (an <a href="#x"> only links to it).
DRAWS_HREF = {"use", "pattern", "feimage"}
URL_REFERENCE = re.compile(r"url\(\s*['\"]?#([^)'\"\s]+)")
NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


class _Circle(Exception):
    """An SVG element draws itself, through references."""


def drawn_problem(root):
    """'' if the SVG `root` draws at most MAX_SVG_DRAWN elements; else why not (also
    for references that go round in a circle, which would draw for ever)."""
    try:
        drawn = _drawn(root, _ids(root))
    except _Circle:
        return "an SVG whose references go round in a circle"
    if drawn > MAX_SVG_DRAWN:
        return (f"an SVG that draws more than {MAX_SVG_DRAWN:,} elements "
                "(counting each <use> and pattern as what it draws)")
    return ""


def inline_svg_problems(raws):
    """[(n, why)] for each inline <svg> (the n-th, from 1) of the raw HTML pieces `raws`
    that draws too much (see drawn_problem). WeasyPrint draws inline SVG as it draws
    an image; pandoc passes inline HTML on tag by tag, so the pieces are read together,
    by the forgiving HTML parser (which keeps `xlink:href` as it is written)."""
    import lxml.html

    joined = "".join(raws)
    if "<svg" not in joined.lower():
        return []
    try:
        document = lxml.html.document_fromstring(joined)
    except (etree.ParserError, ValueError):
        return []
    found = []
    for n, svg in enumerate(document.iter("svg"), 1):
        why = "" if any(True for _ in svg.iterancestors("svg")) else drawn_problem(svg)
        found += [(n, why)] if why else []
    return found


def _ids(root):
    return {element.get("id"): element for element in root.iter()
            if isinstance(element.tag, str) and element.get("id")}


def _drawn(root, ids):
    """How many elements drawing `root` draws: each element's count (itself, its
    children, and what it refers to, times how often) is worked out once, children and
    references first, without Python's recursion (a chain of references may be long).
    A reference back to an element still being counted raises _Circle."""
    counts, open_, stack = {}, set(), [root]
    while stack:
        element = stack[-1]
        if element in counts:
            stack.pop()
            continue
        parts = _parts(element, ids)
        pending = [part for part, _ in parts if part not in counts]
        if pending and element in open_:
            raise _Circle
        if pending:
            open_.add(element)
            stack += pending
            continue
        stack.pop()
        open_.discard(element)
        counts[element] = min(1 + sum(counts[part] * times for part, times in parts),
                              MAX_SVG_DRAWN + 1)
    return counts[root]


def _parts(element, ids):
    """[(element, times)] that drawing `element` draws: its children (those drawn
    where they stand) and what its attributes refer to."""
    if not isinstance(element.tag, str):
        return []
    tag = etree.QName(element).localname.lower()
    parts = [(child, 1) for child in element if isinstance(child.tag, str)
             and etree.QName(child).localname.lower() not in UNDRAWN]
    for name, value in element.attrib.items():
        local = name.rsplit("}", 1)[-1].rsplit(":", 1)[-1].lower()
        targets = URL_REFERENCE.findall(value)
        if local == "href" and tag in DRAWS_HREF and value.strip().startswith("#"):
            targets.append(value.strip()[1:])
        markers = local.startswith("marker") or (local == "style" and "marker" in value)
        times = _vertices(element) if markers else 1
        parts += [(ids[target], times) for target in targets if target in ids]
    return parts


def _vertices(element):
    """At most how many vertices a shape has (a marker is drawn at each)."""
    numbers = len(NUMBER.findall(element.get("d", "") + " " + element.get("points", "")))
    return max(2, numbers // 2 + 1)


def _strict_parser():
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                           huge_tree=False, recover=False)


def _short(value, length=40):
    value = " ".join(value.split())
    return value if len(value) <= length else value[:length] + "…"
