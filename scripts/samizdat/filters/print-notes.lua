-- Print HTML: each note becomes an inline span floated to the page foot by CSS
-- (`float: footnote`), numbered in data-note so the layout check can map note
-- to call. printhtml.glue_calls then glues each call to the word before it, so
-- no line starts with a note number.

local count = 0

function Note(note)
  count = count + 1
  local inlines = pandoc.utils.blocks_to_inlines(note.content, {pandoc.LineBreak()})
  return pandoc.Span(inlines, {class = 'footnote', ['data-note'] = tostring(count)})
end
