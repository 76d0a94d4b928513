-- Print HTML: each note becomes an inline span floated to the page foot by CSS
-- (`float: footnote`), numbered in data-note so the layout check can map note
-- to call. The call is glued to the word before it, so no line starts with a
-- note number.

local count = 0

function Note(note)
  count = count + 1
  local inlines = pandoc.utils.blocks_to_inlines(note.content, {pandoc.LineBreak()})
  return pandoc.Span(inlines, {class = 'footnote', ['data-note'] = tostring(count)})
end

local function is_note(el)
  return el and el.t == 'Span' and el.classes:includes('footnote')
end

function Inlines(inlines)
  for i = #inlines, 2, -1 do
    if is_note(inlines[i]) and inlines[i - 1].t == 'Str' then
      inlines[i - 1] = pandoc.Span({inlines[i - 1], inlines[i]}, {class = 'call'})
      inlines:remove(i)
    end
  end
  return inlines
end
