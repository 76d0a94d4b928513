"""The checks: the source's (lint, before any stage runs) and every output's, read
back from its file (verify). Each finding has a stable code: docs/codes.md."""
