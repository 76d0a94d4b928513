-- Print HTML: each note becomes an inline span floated to the page foot by CSS
-- (`float: footnote`), numbered in data-note so the layout check can map note
-- to call. printhtml.glue_calls then glues each call to the word before it, so
-- no line starts with a note number.
--
-- A note's blocks become lines of one span (a block inside a paragraph would break
-- the HTML). Lists keep their numbers or bullets and tables their cells, one row a
-- line, so no word or number of the note is lost in print.

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
    lines[#lines + 1] = pandoc.Plain(inlines)
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

function Note(note)
  count = count + 1
  local blocks = note.content:walk(flatten)
  local inlines = pandoc.utils.blocks_to_inlines(blocks, {pandoc.LineBreak()})
  local class = secondary(note.content) and 'samizdat-note secondary' or 'samizdat-note'
  return pandoc.Span(inlines, {class = class, ['data-note'] = tostring(count)})
end
