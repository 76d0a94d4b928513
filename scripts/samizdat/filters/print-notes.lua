-- Print HTML: each note becomes an inline span floated to the page foot by CSS
-- (`float: footnote`), numbered in data-note so the layout check can map note
-- to call. printhtml.glue_calls then glues each call to the word before it, so
-- no line starts with a note number.
--
-- A note is one span (a block inside a paragraph would break the HTML). Its first
-- paragraph runs on after the note's number; each later block is a span that print.css
-- sets as a block: a paragraph indented, a list item hanging on its number, a quotation
-- set in. Lists keep their numbers or bullets and tables their cells, one row a line,
-- so no word or number of the note is lost in print.

local count = 0

-- What print adds to a note's words (a list's numbers, a table's rules) is marked, so
-- the EPUB check can compare the words alone (the EPUB has <ol> and <table> instead).
local function mark(text)
  return pandoc.Span({pandoc.Str(text)}, {class = 'samizdat-mark'})
end

local function item_lines(items, marker)
  local lines = {}
  for i, blocks in ipairs(items) do
    local inlines = pandoc.utils.blocks_to_inlines(blocks, {pandoc.Space()})
    inlines:insert(1, mark(marker(i)))
    inlines:insert(2, pandoc.Space())
    lines[#lines + 1] = pandoc.Div({pandoc.Plain(inlines)}, {class = 'samizdat-item'})
  end
  return lines
end

local function cell_inlines(cell)
  return pandoc.utils.blocks_to_inlines(cell.contents, {pandoc.Space()})
end

local function row_lines(rows, lines)
  for _, row in ipairs(rows) do
    local inlines = pandoc.Inlines{}
    for i, cell in ipairs(row.cells) do
      if i > 1 then inlines:extend{pandoc.Space(), mark('|'), pandoc.Space()} end
      inlines:extend(cell_inlines(cell))
    end
    lines[#lines + 1] = pandoc.Plain(inlines)
  end
end

local flatten = {
  OrderedList = function(list)
    local start, style = list.listAttributes.start, list.listAttributes.style
    return item_lines(list.content, function(i)
      local n = start + i - 1
      if style == 'LowerAlpha' then return string.char(96 + (n - 1) % 26 + 1) .. '.' end
      if style == 'UpperAlpha' then return string.char(64 + (n - 1) % 26 + 1) .. '.' end
      return tostring(n) .. '.'
    end)
  end,
  BulletList = function(list)
    return item_lines(list.content, function() return '•' end)
  end,
  Table = function(table)
    local lines = {}
    row_lines(table.head.rows, lines)
    for _, body in ipairs(table.bodies) do
      row_lines(body.head, lines)
      row_lines(body.body, lines)
    end
    row_lines(table.foot.rows, lines)
    return lines
  end,
}

-- A secondary note (an editor's or translator's) opens with an empty span of class
-- `secondary` (Muse's {1}, converted; see muse.py): print.css letters it in a series
-- of its own. data-note counts every note, for the layout check.
local function secondary(blocks)
  local first = blocks[1]
  if not first or (first.t ~= 'Para' and first.t ~= 'Plain') then return false end
  local opening = first.content[1]
  return opening ~= nil and opening.t == 'Span' and opening.classes:includes('secondary')
end

-- A block of a note as a span of class `class` (print.css: display block), its own
-- blocks in spans of their own; the space before it keeps words apart in the text.
local function block_span(block, class)
  local inlines
  if block.t == 'Para' or block.t == 'Plain' then
    inlines = block.content
  elseif block.t == 'Div' and #block.content == 1 and block.content[1].t == 'Plain' then
    class, inlines = block.classes[1] or class, block.content[1].content  -- a list item
  elseif block.t == 'Div' or block.t == 'BlockQuote' then
    if block.t == 'Div' and block.classes[1] then class = block.classes[1] end
    if block.t == 'BlockQuote' then class = 'samizdat-quote' end
    inlines = pandoc.Inlines{}
    for i, child in ipairs(block.content) do
      if i > 1 then inlines:insert(pandoc.Space()) end
      inlines:insert(block_span(child, 'samizdat-block'))
    end
  else  -- code, verse, headings: their lines, as pandoc gives them
    inlines = pandoc.utils.blocks_to_inlines({block}, {pandoc.LineBreak()})
  end
  return pandoc.Span(inlines, {class = class})
end

-- The note's inlines: its first paragraph, or its list's first item, as it is (the
-- note's number runs into it: "36. 1. Cor. 10 v. 4."), every later block a span of its own.
local function note_inlines(blocks)
  local inlines, rest = pandoc.Inlines{}, 1
  local first = blocks[1]
  if first and first.t == 'Div' and #first.content == 1 and first.content[1].t == 'Plain' then
    first = first.content[1]  -- a list's first item (flatten's Div)
  end
  if first and (first.t == 'Para' or first.t == 'Plain') then
    inlines:extend(first.content)
    rest = 2
  end
  for i = rest, #blocks do
    if #inlines > 0 then inlines:insert(pandoc.Space()) end
    inlines:insert(block_span(blocks[i], i == 1 and 'samizdat-first' or 'samizdat-block'))
  end
  return inlines
end

function Note(note)
  count = count + 1
  local inlines = note_inlines(note.content:walk(flatten))
  local class = secondary(note.content) and 'samizdat-note secondary' or 'samizdat-note'
  return pandoc.Span(inlines, {class = class, ['data-note'] = tostring(count)})
end
