-- Print HTML: blocks that print differently from the EPUB.
-- A line block (verse) becomes a div of paragraphs, one a line, so that print.css can
-- hang a line that wraps; the lines keep their leading spaces as indentation.

function LineBlock(block)
  local lines = {}
  for _, line in ipairs(block.content) do
    lines[#lines + 1] = pandoc.Para(line)
  end
  return pandoc.Div(lines, {class = 'verse'})
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
  local found = false
  inlines:walk({Image = function() found = true end})
  return found
end

function Para(para)
  if has_image(para.content) and not has_words(para.content) then
    return pandoc.Div({pandoc.Plain(para.content)}, {class = 'picture'})
  end
end
