-- Append the colophon (the printed pamphlet's back page) built from the metadata:
-- library, rights, author, title, subtitle, date, source line, web address.
-- One source for every format, so the Anti-Copyright notice is always in the text.

local function block(value, class)
  if value == nil then return nil end
  local inlines = pandoc.utils.type(value) == 'Inlines' and value
    or pandoc.Inlines(pandoc.utils.stringify(value))
  return pandoc.Div({pandoc.Para(inlines)}, {class = class})
end

local function title_block(meta)
  local lines = pandoc.Inlines{}
  for _, part in ipairs{meta.title, meta.subtitle, meta.date} do
    if part ~= nil then
      if #lines > 0 then lines:insert(pandoc.LineBreak()) end
      lines:extend(pandoc.utils.type(part) == 'Inlines' and part
        or pandoc.Inlines(pandoc.utils.stringify(part)))
    end
  end
  return pandoc.Div({pandoc.Para(lines)}, {class = 'colophon-title'})
end

local function authors(meta)
  if meta.author == nil then return nil end
  if pandoc.utils.type(meta.author) == 'List' then
    local names = pandoc.Inlines{}
    for i, a in ipairs(meta.author) do
      if i > 1 then names:insert(pandoc.Str(', ')) end
      names:extend(a)
    end
    return block(names, 'colophon-author')
  end
  return block(meta.author, 'colophon-author')
end

function Pandoc(doc)
  local meta, lib = doc.meta, doc.meta.library or {}
  -- The heading's word, in the book's language (labels.py, given with -M).
  local label = meta['samizdat-colophon-label']
  label = label and pandoc.utils.stringify(label) or 'Colophon'
  meta['samizdat-colophon-label'] = nil
  -- Built one by one: a table literal with nil holes would lose the order.
  local content = {}
  local function add(div) if div then content[#content + 1] = div end end
  add(block(lib.name or meta.publisher, 'colophon-library'))
  add(block(meta.rights, 'colophon-rights'))
  add(authors(meta))
  add(title_block(meta))
  add(block(meta.source, 'colophon-source'))
  if lib.url then
    local url = pandoc.utils.stringify(lib.url)
    local shown = url:gsub('^https?://', ''):gsub('/$', '')
    add(pandoc.Div({pandoc.Para{pandoc.Link(shown, url)}}, {class = 'colophon-url'}))
  end
  -- Attributes as a list of pairs: a Lua table's order changes from run to run, and
  -- the same manuscript must give the same bytes.
  doc.blocks:insert(pandoc.Header(1, label, pandoc.Attr('colophon', {'unnumbered'},
    {{'epub:type', 'colophon'}, {'role', 'doc-colophon'}})))
  doc.blocks:insert(pandoc.Div(content, {class = 'colophon'}))
  return doc
end
