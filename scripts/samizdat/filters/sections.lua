-- EPUB: one file a chapter. pandoc's EPUB writer splits the book into files at its
-- sections (--split-level), and makes a div that opens with a heading that heading's
-- section only when the div has no id of its own: Standard Ebooks' chapters
-- (`<section id="chapter-1">` around `<h2 id="i">`) stayed nested and all of
-- Kropotkin's eight chapters went into one file of 668 KB. Such a div gives its id to
-- an empty div just after its heading (a link to it still lands there; none is needed
-- when the heading has that id) and keeps its classes and attributes.

local function chapter(div)
  local first = div.content[1]
  if div.identifier == '' or not first or first.t ~= 'Header' then return nil end
  if first.identifier ~= div.identifier then  -- the same id: the heading has it already
    -- after the heading, not in it: pandoc copies a heading's words into the contents
    div.content:insert(2, pandoc.Div({}, {id = div.identifier}))
  end
  -- the section pandoc makes carries the heading's attributes: the div's kind first
  local kind, own = div.attributes['epub:type'], first.attributes['epub:type']
  if kind and own then first.attributes['epub:type'] = kind .. ' ' .. own end
  div.identifier = ''
  -- a heading group with nothing left but its blocks gives way to them (as house.lua's
  -- bare divs do), so that the chapter around it opens with the heading in turn
  if #div.classes == 0 and #div.attributes == 0 then return div.content end
  return div
end

return {{Div = chapter}}
