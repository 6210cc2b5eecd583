"""The files a lesson page fetches, compressed and cached as their URLs allow.

A lesson page with an empty browser cache fetches about a hundred files from the
server (Voila's own scripts, the widget libraries' lab extensions, the page
template's style sheets and fonts), 5.5 MB as Voila serves them: uncompressed, the
lab extensions marked ``no-cache``, Voila's scripts with no ``Cache-Control`` at all
(the browser then guesses how long to keep them, from their age).

:class:`StaticCaching` says instead, for every such file:

- a URL that names its content (a content hash in the file name, as webpack names the
  lab extensions' chunks and fonts, ``121.5c5a442bc10a67ee.js``; or the ``?v=`` hash
  Voila adds to its template files): ``public, max-age=31536000, immutable``. A new
  version is a new URL, so the browser never needs to ask again;
- Voila's own scripts, named by chunk number only (``1187.voila.js``), whose content
  changes with Voila's version: ``bpttviz serve`` serves them also under a path naming
  the hash of their content, ``/voila/static/v-<hash>/`` (:func:`static_version`),
  and its page template loads them from there: immutable too;
- any other (the same scripts at their plain path, files without a hash):
  ``no-cache``, i.e. kept, but checked with the server (its ``ETag``) before each use,
  so a page never mixes two versions.

and :class:`Compression` compresses text responses (scripts, style sheets, JSON,
HTML) with gzip, as Tornado's ``compress_response`` setting would, but each static
file only once (then kept in memory, under its ETag): Voila builds its
Tornado application before applying ``Voila.tornado_settings``, too late for that
setting to take effect, so both are added as the application's output transforms
(:func:`add_transforms`).
"""

from __future__ import annotations

import gzip
import re

from tornado.web import GZipContentEncoding, OutputTransform

__all__ = ["IMMUTABLE", "REVALIDATE", "STATIC_PREFIXES", "cache_control", "StaticCaching",
           "Compression", "add_transforms", "static_version"]

#: A year, never revalidated: for URLs that change whenever their content does.
IMMUTABLE = "public, max-age=31536000, immutable"
#: Kept by the browser, but checked with the server (ETag) before each use.
REVALIDATE = "no-cache"
#: Where Voila serves files (its scripts, the page templates' files, the lab extensions).
STATIC_PREFIXES = ("/voila/static/", "/voila/templates/", "/voila/labextensions/")
#: A content hash in a file name: at least 8 hexadecimal digits between dots (or first).
HASHED_NAME = re.compile(r"(?:^|\.)[0-9a-f]{8,}\.[A-Za-z0-9]+$")
#: Voila's own files under a path naming their version (:func:`static_version`).
VERSIONED_STATIC = re.compile(r"/voila/static/v-[0-9a-f]{8,}/")
#: Voila's and JupyterLab's version query of a file (a content hash).
HASHED_QUERY = re.compile(r"(?:^|&)v=[0-9a-f]{8,}(?:&|$)")


def cache_control(path: str, query: str = "") -> str | None:
    """The ``Cache-Control`` of a successful response to ``path?query``, or None to leave the
    response as its handler made it (pages, the API: not a file of :data:`STATIC_PREFIXES`).

    >>> cache_control("/voila/labextensions/anywidget/static/2.3dbf81c0.js")
    'public, max-age=31536000, immutable'
    >>> cache_control("/voila/static/1187.voila.js")
    'no-cache'
    """
    # Behind a base URL (JupyterHub's /user/<name>/) the prefixes come later in the path.
    at = min((i for i in (path.find(p) for p in STATIC_PREFIXES) if i >= 0), default=-1)
    if at < 0:
        return None
    rest = path[at:]
    if VERSIONED_STATIC.match(rest):
        return IMMUTABLE
    name = rest.rsplit("/", 1)[-1]
    versioned = not rest.startswith("/voila/static/")   # Voila's files ignore ?v=
    if HASHED_NAME.search(name) or (versioned and HASHED_QUERY.search(query)):
        return IMMUTABLE
    return REVALIDATE


class StaticCaching(OutputTransform):
    """Sets :func:`cache_control` on the server's successful responses (200, 304) to GETs."""

    def __init__(self, request):
        self.policy = (cache_control(request.path, request.query)
                       if request.method in ("GET", "HEAD") else None)

    def transform_first_chunk(self, status_code, headers, chunk, finishing):
        if self.policy and status_code in (200, 304):
            headers["Cache-Control"] = self.policy
        return status_code, headers, chunk


#: Compressed static files kept in memory, ``{(path, etag): gzip bytes}``, at most
#: :data:`COMPRESSED_CACHE_BYTES` in all (a lesson page's files take about 1.6 MB).
_compressed = {}
COMPRESSED_CACHE_BYTES = 64 * 2**20


class Compression(GZipContentEncoding):
    """Tornado's gzip of text responses (its ``compress_response``, level 6), with a memory of
    the static files already compressed.

    A page's 5.5 MB of files become 1.6 MB; compressing them costs the server about 0.12
    CPU-s, for every student whose cache is empty. So a file of :data:`STATIC_PREFIXES`
    that comes with an ETag (Tornado's static files do: a hash of the content) is compressed
    once and kept, under its path and ETag; the next student is sent the same bytes, with
    their length. Any other response (a page, the API) is compressed as it goes, as Tornado
    does.
    """

    def __init__(self, request):
        super().__init__(request)
        self.accepts = "gzip" in request.headers.get("Accept-Encoding", "")
        self.static = request.method == "GET" and cache_control(request.path) is not None
        self.path = request.path
        self.mode = None               # None: Tornado's way; "sent": from memory; "collect"
        self.parts = []

    def transform_first_chunk(self, status_code, headers, chunk, finishing):
        ctype = str(headers.get("Content-Type", "")).split(";")[0]
        etag = headers.get("Etag")
        if not (self.accepts and self.static and status_code == 200 and etag
                and "Content-Encoding" not in headers
                and (ctype.startswith("text/") or ctype in self.CONTENT_TYPES)):
            return super().transform_first_chunk(status_code, headers, chunk, finishing)
        self.key = (self.path, etag)
        headers["Vary"] = (headers["Vary"] + ", " if "Vary" in headers else "") + "Accept-Encoding"
        headers["Content-Encoding"] = "gzip"
        body = _compressed.get(self.key)
        if body is not None:
            self.mode = "sent"         # the handler still writes the file: dropped below
        else:
            self.mode = "collect"
            self.parts.append(chunk)
            if not finishing:
                headers.pop("Content-Length", None)    # sent chunked, once compressed
                return status_code, headers, b""
            body = self.compress()
        headers["Content-Length"] = str(len(body))
        return status_code, headers, body

    def transform_chunk(self, chunk, finishing):
        if self.mode == "sent":
            return b""
        if self.mode == "collect":
            self.parts.append(chunk)
            return self.compress() if finishing else b""
        return super().transform_chunk(chunk, finishing)

    def compress(self) -> bytes:
        body = gzip.compress(b"".join(self.parts), compresslevel=self.GZIP_LEVEL, mtime=0)
        self.parts = []
        if sum(map(len, _compressed.values())) + len(body) <= COMPRESSED_CACHE_BYTES:
            _compressed[self.key] = body
        return body


def static_version(folders) -> str:
    """A hash of the content of every file in ``folders`` (Voila's static folders): the name
    of their version, in the path they are served under (``/voila/static/v-<hash>/``)."""
    import hashlib
    from pathlib import Path

    digest = hashlib.sha256()
    for folder in folders:
        root = Path(folder)
        if not root.is_dir():
            continue
        for f in sorted(p for p in root.rglob("*") if p.is_file()):
            digest.update(str(f.relative_to(root)).encode() + b"\0")
            digest.update(f.read_bytes())
    return digest.hexdigest()[:16]


def add_transforms(application) -> None:
    """Add :class:`Compression` and :class:`StaticCaching` to a Tornado application's output
    transforms (once), for every request it serves from now on."""
    # Tornado's own gzip counts as ours (compress_response=True): never compress twice.
    for transform, kind in ((Compression, GZipContentEncoding), (StaticCaching, StaticCaching)):
        if not any(issubclass(t, kind) for t in application.transforms):
            application.transforms.append(transform)
