-- Both outputs: what a text brings that the house does not print as written.
-- * Inline styles (a `style` attribute, in pandoc's {…} or in raw HTML) are left out:
--   the house style sets the book, and a stranger's float or display:none would not
--   be seen by any check (lint warns, R008).
-- * A div with no id, class or attribute (`::: {}`, Standard Ebooks' heading groups)
--   gives way to its blocks: a heading inside one is missed by pandoc's contents and
--   navigation (Kropotkin's chapters I-VIII were), and such a div sets nothing.
-- * A link to a place the text does not have (#id with no such id) becomes its text:
--   a dead link fails EPUBCheck and goes nowhere in print (lint warns, R007).
-- * So does a link no reader of the book can follow (lint warns, R010): to a page of
--   the site the text came from (`/library/x`, as amusewiki writes them), to a file
--   beside the text or outside it (the book carries none), or to an address whose
--   scheme EPUBCheck does not know (HTM-025) or that is file:, or that is no valid URL
--   (RSC-020: a backslash, a bad %-escape, no host).
-- * A "tag" in raw HTML that names no element of HTML, SVG or MathML (`<ВАЛЕРИК>` in a
--   plain-text edition, `cmd <file>`) is text pandoc took for markup: printed as
--   written (lint warns, R011). In XHTML such a tag never closed broke the book (E005).

local ids = {}

local function note_id(el)
  if el.identifier and el.identifier ~= '' then ids[el.identifier] = true end
end

local function raw_ids(el)
  for id in el.text:gmatch('%sid%s*=%s*["\']([^"\']+)["\']') do ids[id] = true end
  for id in el.text:gmatch('%sname%s*=%s*["\']([^"\']+)["\']') do ids[id] = true end
end

local function unstyled(el)
  if el.attributes and el.attributes['style'] then
    el.attributes['style'] = nil
    return el
  end
end

-- The elements of HTML, SVG and MathML (policy.ELEMENTS: a test compares them).
local ELEMENTS = {}
for name in ([[
  a abbr acronym address altglyph altglyphdef altglyphitem animate animatecolor
  animatemotion animatetransform annotation annotation-xml applet area article aside
  audio b base basefont bdi bdo bgsound big blink blockquote body br button canvas
  caption center circle cite clippath code col colgroup color-profile cursor data
  datalist dd defs del desc details dfn dialog dir discard div dl dt ellipse em embed
  feblend fecolormatrix fecomponenttransfer fecomposite feconvolvematrix
  fediffuselighting fedisplacementmap fedistantlight fedropshadow feflood fefunca fefuncb
  fefuncg fefuncr fegaussianblur feimage femerge femergenode femorphology feoffset
  fepointlight fespecularlighting fespotlight fetile feturbulence fieldset figcaption
  figure filter font font-face font-face-format font-face-name font-face-src
  font-face-uri footer foreignobject form frame frameset g glyph glyphref h1 h2 h3 h4 h5
  h6 head header hgroup hkern hr html i iframe image img input ins isindex kbd keygen
  label legend li line lineargradient link listing maction main map mark marker marquee
  mask math menclose menu menuitem merror meta metadata meter mfenced mfrac mglyph mi
  missing-glyph mlabeledtr mlongdiv mmultiscripts mn mo mover mpadded mpath mphantom
  mprescripts mroot mrow ms mscarries mscarry msgroup msline mspace msqrt msrow mstack
  mstyle msub msubsup msup mtable mtd mtext mtr multicol munder munderover nav nextid
  nobr noembed noframes none noscript object ol optgroup option output p param path
  pattern picture plaintext polygon polyline portal pre progress q radialgradient rb rect
  rp rt rtc ruby s samp script search section select semantics set slot small source
  spacer span stop strike strong style sub summary sup svg switch symbol table tbody td
  template text textarea textpath tfoot th thead time title tr track tref tspan tt u ul
  use var video view vkern wbr xmp]]):gmatch('%S+') do
  ELEMENTS[name] = true
end

-- The one tag alone that names no element (policy.not_markup), trimmed, or nil.
local function not_markup(text)
  text = text:match('^[ \t\n\r\f]*(.-)[ \t\n\r\f]*$')
  local name = text:match('^</?([^ \t\n\r\f/<>!?][^ \t\n\r\f/<>]*)[^<>]*>$')
  if name and not name:find(':', 1, true) and not ELEMENTS[name:lower()] then
    return text
  end
end

local function unstyled_raw(el)
  if el.format:match('^html') or el.format:match('^epub') then
    local text = not_markup(el.text)
    if text then  -- text, not markup: printed as written
      if el.tag == 'RawBlock' then return pandoc.Para({pandoc.Str(text)}) end
      return pandoc.Str(text)
    end
    local text = el.text:gsub('%s+style%s*=%s*"[^"]*"', ''):gsub("%s+style%s*=%s*'[^']*'", '')
    if text ~= el.text then
      el.text = text
      return el
    end
  end
end

-- The schemes EPUBCheck 5.3 knows, less file: (policy.LINK_SCHEMES: a test compares them).
local SCHEMES = {}
for scheme in ([[
  aaa aaas acap afs cap cid crid dav dict dns dtn fax ftp go gopher h323 http https
  iax icap im imap info ipp irc iris iris-beep iris-lwz iris-xpc iris-xpcs ldap mailserver
  mailto mid modem msrp msrps mtqp mupdate news nfs nntp opaquelocktoken pack pop pres
  prospero rtsp service shttp sip sips snews snmp soap-beep soap-beeps tag tel telnet
  tftp thismessage tip tn3270 tv urn vemmi videotex wais xmlrpc-beep xmlrpc-beeps xmpp
  z39-50r z39-50s]]):gmatch('%S+') do
  SCHEMES[scheme] = true
end

-- Whether an address of a scheme EPUBCheck knows is a valid URL, as policy.malformed
-- judges it (a test compares the two): EPUBCheck refuses one that is not (RSC-020).
local SPECIAL = {http = true, https = true, ftp = true, ws = true, wss = true}
-- what pandoc writes percent-encoded (its escapeURI): no fault of the address
local ESCAPED = '[%s<>|"{}%[%]^`]'

local function unescape(text)
  return (text:gsub(ESCAPED, function(c) return string.format('%%%02X', c:byte()) end)
              :gsub('%%(%x%x)', function(h) return string.char(tonumber(h, 16)) end))
end

local function well_formed(target)
  local url = target:match('^%s*(.-)%s*$')
  if url:find('\\', 1, true) then return false end
  for at in url:gmatch('()%%') do
    if not url:sub(at + 1, at + 2):match('^%x%x$') then return false end
  end
  if select(2, url:gsub('#', '')) > 1 then return false end
  if url:find('[\0-\8\14-\31\127]') or url:find('\194[\128-\159]') then return false end
  local scheme, rest = url:match('^([^:]*):(.*)$')
  if not SPECIAL[scheme:lower()] then return rest ~= '' end
  if rest:sub(1, 2) ~= '//' then return false end
  local authority = rest:sub(3):match('^[^/?#]*')
  local host = authority:match('[^@]*$')
  local name, port = host:match('^([^:]*):(.*)$')
  name = name or host
  if name == '' or name:sub(1, 1) == '.' or name:find('..', 1, true) then return false end
  if unescape(name):find('[\0\t\n\r #/:<>?@%[\\%]^|%%]') then return false end
  return port == nil or port == '' or (port:match('^%d+$') ~= nil and tonumber(port) < 65536)
end

local function followable(target)
  if target == '' or target == '#' then return true end
  local place = target:match('^#(.+)$')
  if place then return ids[place] end
  local scheme = target:match('^%s*([%a][%w+.-]*):')
  return scheme ~= nil and SCHEMES[scheme:lower()] ~= nil and well_formed(target)
end

local function live(link)
  if not followable(link.target) then return link.content end
end

local function bare(div)
  if div.identifier == '' and #div.classes == 0 and #div.attributes == 0 then
    return div.content
  end
end

-- The elements that carry attributes, named one by one, and as few passes over the
-- inlines as can be: a filter on every Block and Inline hands each word to Lua (3.3 s
-- of a text with 2,000 notes; 0.9 s this way).
local ATTRIBUTED = {'Div', 'Header', 'CodeBlock', 'Table', 'Figure', 'Span', 'Code', 'Image'}

local gather = {Link = note_id, RawBlock = raw_ids, RawInline = raw_ids}
local unstyle = {RawBlock = unstyled_raw, RawInline = unstyled_raw}
for _, name in ipairs(ATTRIBUTED) do
  gather[name], unstyle[name] = note_id, unstyled
end
-- a link to no place becomes its text; one that stays loses its style
unstyle.Link = function(link) return live(link) or unstyled(link) end

return {
  -- the ids of the text: one in the metadata is no place a link can go (manuscript._index)
  {Pandoc = function(doc) doc.blocks:walk(gather) end},
  unstyle,
  {Div = bare},
}
