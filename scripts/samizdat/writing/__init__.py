"""Writing systems: the fonts each script is set in (fontstack) and what they cover
(glyphs), where a script's lines may break (wordbreak), the labels in each language
(labels), and the text runs of an HTML document (markup). The floor every stage
stands on: it imports nothing of Samizdat's but itself."""
