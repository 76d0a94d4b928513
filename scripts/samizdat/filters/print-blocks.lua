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
