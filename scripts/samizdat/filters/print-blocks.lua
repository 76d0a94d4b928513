-- Print HTML: blocks that print differently from the EPUB.
-- Verse becomes a div of paragraphs, one a line, so that print.css can hang a line
-- that wraps: a line block (| lines), a paragraph of three or more lines ended by
-- hard breaks (how converters write a stanza: Standard Ebooks' poems, Gutenberg's
-- songs), and one of plain-text verse (plain_stanza); prose has no such paragraphs.
-- Leading spaces stay as indentation.

local function verse(lines)
  local paras = {}
  for _, line in ipairs(lines) do paras[#paras + 1] = pandoc.Para(line) end
  return pandoc.Div(paras, {class = 'verse'})
end

local function line_block(block)
  return verse(block.content)
end

local function breaks(inlines)
  local count = 0
  for _, el in ipairs(inlines) do
    if el.t == 'LineBreak' then count = count + 1 end
  end
  return count
end

local function split_lines(inlines, at)
  local lines, line = {}, pandoc.Inlines{}
  for _, el in ipairs(inlines) do
    if el.t == at then
      lines[#lines + 1] = line
      line = pandoc.Inlines{}
    elseif not (#line == 0 and (el.t == 'SoftBreak' or el.t == 'Space')) then
      line:insert(el)
    end
  end
  if #line > 0 then lines[#lines + 1] = line end
  return lines
end

local function stanza(para, least)
  -- most paragraphs have no hard break: counted first, they are left as they are
  -- without being copied
  if breaks(para.content) + 1 < (least or 3) then return nil end
  local lines = split_lines(para.content, 'LineBreak')
  return #lines >= (least or 3) and verse(lines) or nil
end

-- A stanza of a plain-text poem, as a mechanical conversion (Gutenberg's plain text)
-- leaves it: three lines or more ended by plain newlines, which Markdown runs together.
-- Its lines were broken by hand, not wrapped: some line's next word would have fitted
-- on it within the longest line; each line opens with a capital; and they are not one
-- sentence a line (every line but the last ending a sentence). Prose wrapped at a
-- width, or written a sentence a line, stays prose.
local function text_lines(lines)
  local texts = {}
  for i, line in ipairs(lines) do texts[i] = pandoc.utils.stringify(line) end
  return texts
end

local function wrapped(texts)
  local longest = 0
  for _, text in ipairs(texts) do longest = math.max(longest, utf8.len(text) or #text) end
  for i = 1, #texts - 1 do
    local next_word = texts[i + 1]:match('^%S+') or ''
    if (utf8.len(texts[i]) or 0) + 1 + (utf8.len(next_word) or 0) <= longest then
      return false
    end
  end
  return true
end

local function capitals(texts)
  for _, text in ipairs(texts) do
    local first = text:match('^[%p%s]*([^%p%s][\128-\191]*)')
    if not first or pandoc.text.upper(first) ~= first or pandoc.text.lower(first) == first then
      return false
    end
  end
  return true
end

local function sentence_a_line(texts)
  for i = 1, #texts - 1 do
    if not texts[i]:match('[%.!%?:;…]["»”’%)]*$') then return false end
  end
  return true
end

local function plain_stanza(para)
  local lines = split_lines(para.content, 'SoftBreak')
  if #lines < 3 then return nil end
  local texts = text_lines(lines)
  if wrapped(texts) or not capitals(texts) or sentence_a_line(texts) then return nil end
  return verse(lines)
end

-- Inside a poem (epub:type z3998:poem, verse, song or hymn; class poem or verse, as
-- Standard Ebooks and converters mark them) every paragraph is a stanza.
local POEM = {['z3998:poem'] = true, ['z3998:verse'] = true, ['z3998:song'] = true,
              ['z3998:hymn'] = true, poem = true, verse = true}

local function is_poem(div)
  for word in (div.attributes['epub:type'] or ''):gmatch('%S+') do
    if POEM[word] then return true end
  end
  for _, class in ipairs(div.classes) do
    if POEM[class] then return true end
  end
  return false
end

local function poem(div)
  if not is_poem(div) then return nil end
  return div:walk({Para = function(para) return stanza(para, 1) end})
end

-- A paragraph of images and no words (an image alone, or with a link or icon beside
-- it, as converted texts have) is a picture: no paragraph indent (it would push a
-- full-width image past the edge), centred.
local function has_words(inlines)
  for _, el in ipairs(inlines) do
    if el.t == 'Str' then return true end
    if el.t ~= 'Image' and el.content and type(el.content) ~= 'string'
        and has_words(el.content) then
      return true
    end
  end
  return false
end

local function has_image(inlines)
  for _, el in ipairs(inlines) do
    if el.t == 'Image' then return true end
    local inner = el.content
    if inner and type(inner) ~= 'string' and el.t ~= 'Note' and has_image(inner) then
      return true
    end
  end
  return false
end

-- Most paragraphs have neither a hard break nor an image: one walk, in pandoc's own
-- code, finds them (at any depth, notes too) and leaves them be. Going through every
-- inline in Lua to find out cost 1.1 s of a 244-page book; this walk 0.3 s.
local found = {}
local seen = {
  LineBreak = function() found.LineBreak = (found.LineBreak or 0) + 1 end,
  SoftBreak = function() found.SoftBreak = (found.SoftBreak or 0) + 1 end,
  Image = function() found.Image = true end,
}

local function paragraph(para)
  found = {}
  para:walk(seen)
  if found.Image and has_image(para.content) and not has_words(para.content) then
    return pandoc.Div({pandoc.Plain(para.content)}, {class = 'picture'})
  end
  if (found.LineBreak or 0) + 1 >= 3 then return stanza(para) end
  if (found.SoftBreak or 0) >= 2 and not found.LineBreak then return plain_stanza(para) end
  return nil
end

-- Chapters: the first heading level used twice or more (level 1, or level 2 under a
-- single level-1 title, as Standard Ebooks and converters have it) makes chapters:
-- each opens a page and names the running head (print.css, main.chapters-N); with
-- three or more, a table of contents follows the title page (pandoc's --toc).
local CONTENTS_FROM = 3

local function chapters(doc)
  local count = {0, 0}
  doc.blocks:walk({Header = function(h)
    if h.level <= 2 then count[h.level] = count[h.level] + 1 end
  end})
  local level = (count[1] >= 2 and 1) or (count[1] <= 1 and count[2] >= 2 and 2) or nil
  if level then doc.meta['samizdat-chapters'] = tostring(level) end
  if not level or count[level] < CONTENTS_FROM then doc.meta['samizdat-contents'] = nil end
  return doc
end

-- Poems first: their stanzas are verse however short; then the rest. (The two- and
-- three-em dashes no font has are set as em dashes in printhtml: a pass over every
-- word here cost 0.7 s of a 244-page book.)
return {{Div = poem}, {LineBlock = line_block, Para = paragraph}, {Pandoc = chapters}}
