-- The Lua glue Samizdat used before printhtml.glue_calls, kept to test that the
-- Python glue gives the same HTML. Runs after print-notes.lua (which makes each
-- note a footnote span): a Str before a note is wrapped with it in a call span.

local function is_note(el)
  return el and el.t == 'Span' and el.classes:includes('samizdat-note')
end

function Inlines(inlines)
  for i = #inlines, 2, -1 do
    if is_note(inlines[i]) and inlines[i - 1].t == 'Str' then
      inlines[i - 1] = pandoc.Span({inlines[i - 1], inlines[i]}, {class = 'samizdat-call'})
      inlines:remove(i)
    end
  end
  return inlines
end
