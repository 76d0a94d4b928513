-- Pass-2 helper (mechanical): Markdown cannot nest notes, and pandoc's Markdown
-- writer prints a call for a note inside a note but never its text.  Put the
-- inner note's text in square brackets where its call was.
function Note(n)
  return pandoc.Note(n.content:walk({
    Note = function(inner)
      local inl = pandoc.utils.blocks_to_inlines(inner.content)
      local out = pandoc.List({pandoc.Str("[")})
      out:extend(inl)
      out:insert(pandoc.Str("]"))
      return out
    end
  }))
end
