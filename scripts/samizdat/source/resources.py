"""Every file a build reads because a manuscript names it goes through here.

One resolver decides which file a target (an image's `src`, a link) names, and one
reader opens it: the checks, the EPUB's media, WeasyPrint's fetcher and the cover
all use these two, so what was checked is what is read. A target names a file
inside the manuscript's folder by the path part of its URL, %-escapes decoded;
`?query` and `#fragment` are never part of the file name (WeasyPrint reads URLs so).
The file must be a regular file (a FIFO would block the build for ever, a device
never end) and no larger than the limits below.
"""

import errno
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

# A manuscript: a 500-page book is ~1.5 MB of Markdown.
MAX_MANUSCRIPT_BYTES = 16 * 1024 * 1024
# An image: a full-page scan at 600 dpi is ~10 MB and 17 million pixels (A5). Each
# is decoded once by the check (a damaged one would print as noise: WeasyPrint copies
# PNG data into the PDF undecoded), so its pixels bound the check's memory too.
MAX_IMAGE_BYTES = 32 * 1024 * 1024
MAX_IMAGE_PIXELS = 40_000_000
# All of a text's images together (each is read into memory by pandoc and WeasyPrint).
MAX_MEDIA_BYTES = 256 * 1024 * 1024


class NotRegular(OSError):
    """The path names something other than a regular file (a folder, FIFO, device)."""


class Swapped(OSError):
    """The path, resolved a moment ago, now holds a link (see read_beneath)."""


class TooLarge(OSError):
    """The file is larger than the limit given."""


def read_regular(path, limit):
    """The bytes of the regular file at `path`, at most `limit` of them.

    Opened without blocking (a FIFO opened for reading waits for a writer), then
    checked on the open file itself, so a name swapped after a check is no help."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    return _read_open(fd, limit, path)


def read_beneath(folder, path, limit):
    """read_regular of `path`, a resolved path inside the resolved `folder`, opened one
    folder at a time from `folder` without following a link: a link swapped in since
    `path` was resolved (a folder's or the file's own) fails (Swapped), never leads
    out of `folder`."""
    if not Path(path).is_relative_to(folder):
        raise Swapped(errno.EXDEV, "it is outside its folder", str(path))
    parts = Path(path).relative_to(folder).parts
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for part in parts[:-1]:
            inner = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC,
                            dir_fd=fd)
            os.close(fd)
            fd = inner
        final = os.open(parts[-1], os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC,
                        dir_fd=fd)
    except OSError as error:
        if error.errno in (errno.ELOOP, errno.ENOTDIR):
            raise Swapped(error.errno, "it became a link while the build read it",
                          str(path)) from None
        raise
    finally:
        os.close(fd)
    return _read_open(final, limit, path)


def _read_open(fd, limit, path):
    """The bytes of open file `fd` (closed here) if it is a regular file of at most
    `limit` bytes."""
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotRegular(0, _kind(info.st_mode), str(path))
        if info.st_size > limit:
            raise TooLarge(0, f"larger than {limit // (1024 * 1024)} MB", str(path))
        with os.fdopen(fd, "rb", closefd=False) as stream:
            data = stream.read(limit + 1)
    finally:
        os.close(fd)
    if len(data) > limit:  # grew since fstat
        raise TooLarge(0, f"larger than {limit // (1024 * 1024)} MB", str(path))
    return data


def _kind(mode):
    if stat.S_ISDIR(mode):
        return "it is a folder, not a file"
    if stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode):
        return "it is a pipe or socket, not a file"
    return "it is a device, not a file"


def is_local(target):
    """Whether `target` is a relative reference to a file (no scheme, not absolute,
    not only a #fragment)."""
    if not target or target.startswith(("#", "/", "\\")):
        return False
    return not urlparse(target).scheme


def file_name(target):
    """The file name a relative `target` gives: its URL path, %-escapes decoded."""
    return unquote(urlparse(target).path)


def resolve(folder, target):
    """The file a relative `target` names inside `folder` (resolved: no `..`, no
    symbolic link left), or None if it leaves the folder (or names the folder itself)."""
    folder = Path(folder).resolve()
    name = file_name(target)
    if not name or "\x00" in name:
        return None
    try:
        resolved = (folder / name).resolve()
    except (OSError, ValueError, RuntimeError):  # a name too long, a symlink loop
        return None
    if resolved == folder or not resolved.is_relative_to(folder):
        return None
    return resolved


@dataclass(frozen=True)
class Media:
    """An image the manuscript names: `target` as pandoc has it in the AST, `path` the
    file it resolves to (None: outside the folder), `data` its bytes as read once, and
    `problem`, why it cannot be used ('' if it can)."""

    target: str
    path: Path | None
    data: bytes = b""
    problem: str = ""

    @property
    def usable(self):
        return self.path is not None and not self.problem


MAGIC = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"),
         (b"GIF87a", "image/gif"), (b"GIF89a", "image/gif"))


def media_type(data):
    """The media type of image `data`, from its first bytes (never from its name)."""
    for magic, kind in MAGIC:
        if data.startswith(magic):
            return kind
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    head = data[:65536]
    if b"<svg" in head and not head.lstrip().startswith(b"<!DOCTYPE html"):
        return "image/svg+xml"
    return "application/octet-stream"


def survey(ms):
    """{target: Media} of every local image the manuscript names (body and metadata),
    each file read once: the checks judge these bytes and the build uses them."""
    found, total = {}, 0
    for kind, target in ms.targets:
        if kind != "Image" or not is_local(target) or target in found:
            continue
        found[target] = item = _survey_one(ms.folder, target)
        total += len(item.data)
        if total > MAX_MEDIA_BYTES:
            found[target] = Media(target, item.path, b"", "the images together are larger "
                                  f"than {MAX_MEDIA_BYTES // (1024 * 1024)} MB")
            total -= len(item.data)
    return found


def _survey_one(folder, target):
    path = resolve(folder, target)
    if path is None:
        return Media(target, None)
    try:
        data = read_beneath(Path(folder).resolve(), path, MAX_IMAGE_BYTES)
    except FileNotFoundError:
        return Media(target, path, b"", "missing")
    except OSError as error:
        return Media(target, path, b"", error.strerror or "cannot be read")
    return Media(target, path, data, image_problem(data))


def usable(ms):
    """The usable images of `ms`, [Media] in document order."""
    return [m for m in ms.media.values() if m.usable]


def image_problem(data):
    """'' if `data` is an image a build may embed (PNG, JPEG, GIF, WebP within the
    pixel limit, or a safe SVG); else why not."""
    from . import policy

    kind = media_type(data)
    if kind == "image/svg+xml":
        return policy.svg_problem(data)
    if kind == "application/octet-stream":
        return "not an image Samizdat can print (PNG, JPEG, GIF, WebP or SVG)"
    return _pixels_problem(data)


def _load_strictly(image):
    """Decode every pixel of Pillow `image`: a damaged image fails here. WeasyPrint
    tells Pillow, for the whole process, to accept truncated images; not for this."""
    from PIL import ImageFile

    lenient, ImageFile.LOAD_TRUNCATED_IMAGES = ImageFile.LOAD_TRUNCATED_IMAGES, False
    try:
        image.load()
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = lenient


def _pixels_problem(data):
    import io
    import warnings

    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(data)) as image:  # reads the header
                width, height = image.size
                if width * height > MAX_IMAGE_PIXELS:
                    return (f"{width} x {height} pixels is more than "
                            f"{MAX_IMAGE_PIXELS // 1_000_000} million")
                _load_strictly(image)
    except Image.DecompressionBombError:
        return f"more than {MAX_IMAGE_PIXELS // 1_000_000} million pixels"
    except Exception as error:  # noqa: BLE001 - Pillow's errors have no common base
        return f"a damaged image ({' '.join(str(error).split())[:80]})"
    return ""
