"""The manuscript: `manuscript.load(path) -> Manuscript`, the one way a text comes in.

Read beneath its own folder (resources, under policy's limits), decoded and its YAML
read (text, metadata), parsed by pandoc once (pandoc), a Muse file converted first
(muse), a collection's parts joined (collection); its notes read from the raw text
(notes); `samizdat new` and `import` (scaffold)."""
