"""The outputs, each made from a Manuscript: the print HTML (printhtml) laid out as the
PDF (pdf) and imposed as pamphlets and pocket books (impose), the bound book (book),
the EPUB and kepub (epub, kepub), the cover (cover), the printer's test sheet
(printer_sheet); the output folder they are installed in (shelf) and what readers and
libraries find beside them: catalog and download page (listing)."""
