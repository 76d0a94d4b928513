-- EPUB images under pandoc's --sandbox, which lets pandoc read no file but its input.
-- The build lists the images it has checked (inside the manuscript's folder, present)
-- in metadata `samizdat-media` and the folder in `samizdat-folder`; only those are read
-- and put in the media bag. Any other image stays unread (pandoc then warns, and the
-- build refuses the EPUB).

local allowed, folder = {}, nil

local MIME = {png = 'image/png', jpg = 'image/jpeg', jpeg = 'image/jpeg',
              gif = 'image/gif', svg = 'image/svg+xml', webp = 'image/webp'}

function Meta(meta)
  folder = meta['samizdat-folder'] and pandoc.utils.stringify(meta['samizdat-folder'])
  local media = meta['samizdat-media'] or {}
  -- One -M gives a single value, several give a list.
  if pandoc.utils.type(media) ~= 'List' then media = {media} end
  for _, item in ipairs(media) do
    allowed[pandoc.utils.stringify(item)] = true
  end
  meta['samizdat-folder'], meta['samizdat-media'] = nil, nil
  return meta
end

function Image(image)
  if folder and allowed[image.src] then
    local file = assert(io.open(folder .. '/' .. image.src, 'rb'))
    local data = file:read('a')
    file:close()
    local mime = MIME[(image.src:match('%.(%w+)$') or ''):lower()]
    pandoc.mediabag.insert(image.src, mime, data)
  end
  return image
end

return {{Meta = Meta}, {Image = Image}}
