"""Static files (`/static/…`), served from memory and compressed once, at the best level.

Pages link them with their content hash (`asset()` in templating.py: `/static/js/capture.js?v=<hash>`);
such a URL never changes content, so browsers keep it for a year. A tablet on 3G downloads each file
once per release, so the bytes are worth squeezing: brotli at quality 11 (Chromium asks for `br`)
and gzip at level 9 are computed on the first request for a file and kept, which is far too slow to
do per response (the app-wide compression of pages uses cheap levels instead).

Files are read once per process, so the bytes served and the hash in the URL always match; a changed
file is served after a restart (the URL changes then too).

ES modules (the offline code, `static/js/offline/`) import each other. A plain `./queue.js` specifier
would be fetched without a hash: the service worker's cache-first rule could then mix modules of two
releases. So the route rewrites every relative import specifier of a `.js` file that names a static
file into that file's versioned URL (`/static/js/offline/queue.js?v=<hash>`), and a module's hash is
the hash of what is served, rewritten specifiers included: a change in any module changes the URL of
every module that imports it, up to the entry point the page links with `asset()`. No build step, no
import map (the CSP allows no inline script).

The comments stay in the repository, not on the wire: a third of capture.js and a fifth of app.css are
comments, and every byte of the visit page's first load counts over 3G (docs/operations.md, page
weight). So a `.js` file is served without its whole-line `//` comments and a `.css` file without its
`/* … */` comments (`lean`); each removed line stays as an empty line, so that a line number in the
browser's console is the file's. Nothing else is changed: no renaming, no joined lines, no build step.
Vendored `.min.js` files are served as they are (their licence comments stay).
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import mimetypes
import posixpath
import re
from pathlib import Path

import brotli
from litestar import Controller, Request, Response, route
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from inspect_app.permissions import PUBLIC
from inspect_app.settings import ROOT

STATIC_DIR = ROOT / "static"
PRECOMPRESSED = {"precompressed": True}
"""Route `opt` that keeps the app-wide compression middleware off a response that is already encoded."""

MEDIA_TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml", ".txt": "text/plain"}
"""Litestar adds `; charset=utf-8` to the text/ ones."""
COMPRESSIBLE = {".js", ".css", ".svg", ".txt"}  # images other than SVG are compressed already
YEAR = "public, max-age=31536000, immutable"


IMPORT_SPECIFIER = re.compile(rb"""((?<![\w.$])(?:import|from)\s*\(?\s*)(["'])(\.{1,2}/[^"'\s?#]+\.js)\2""")
"""`import … from "./x.js"`, `export … from "../x.js"`, `import "./x.js"` and `import("./x.js")`."""


class StaticFile:
    """One file's bytes (module specifiers versioned), content hash and (on first use) compressed forms."""

    def __init__(self, name: str, path: Path) -> None:
        self.data = lean(name, path.read_bytes())
        if path.suffix == ".js":
            self.data = versioned_imports(name, self.data)
        self.digest = hashlib.sha256(self.data).hexdigest()[:12]
        self.media_type = MEDIA_TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] \
            or "application/octet-stream"
        self.compressible = path.suffix in COMPRESSIBLE

    @functools.cached_property
    def compressed(self) -> dict[str, bytes]:
        """The file in each content coding we offer, best first."""
        return {"br": brotli.compress(self.data, quality=11, mode=brotli.MODE_TEXT),
                "gzip": gzip.compress(self.data, compresslevel=9, mtime=0)}  # mtime=0: same bytes every start

    def encoded(self, accept_encoding: str) -> tuple[str, bytes]:
        """The smallest form the client accepts: ("br" | "gzip" | "", bytes)."""
        if self.compressible:
            accepted = accepted_codings(accept_encoding)
            for coding, body in self.compressed.items():
                if coding in accepted and len(body) < len(self.data):
                    return coding, body
        return "", self.data


CSS_COMMENT_OR_STRING = re.compile(rb"""/\*.*?\*/|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'""", re.S)
"""A CSS comment, or a string (left as it is: a `/*` inside quotes is no comment)."""


def lean(name: str, source: bytes) -> bytes:
    """`source` as served: without whole-line `//` comments (`.js`) or `/* … */` comments (`.css`), each
    removed line kept as an empty line. Vendored `.min.js` files and other kinds are returned as they are."""
    if name.endswith(".css"):
        return CSS_COMMENT_OR_STRING.sub(
            lambda m: b"\n" * m[0].count(b"\n") if m[0].startswith(b"/*") else m[0], source)
    if not name.endswith(".js") or name.endswith(".min.js"):
        return source
    lines = source.split(b"\n")
    out = []
    in_template = False  # inside a `template literal` that spans lines: a "//" there is text, not a comment
    continued = False    # the line before ends with a backslash (a string going on): the same
    for line in lines:
        if not in_template and not continued and line.lstrip().startswith(b"//"):
            out.append(b"")
            continue
        out.append(line)
        in_template ^= (line.count(b"`") - line.count(b"\\`")) % 2 == 1
        continued = line.endswith(b"\\")
    if in_template:  # an odd count of backticks: a file this rule cannot read safely is served as it is
        return source
    return b"\n".join(out)


def versioned_imports(name: str, source: bytes) -> bytes:
    """`source` with each relative import of a static file pointing at that file's current version."""
    folder = posixpath.dirname(name)

    def pin(match: re.Match[bytes]) -> bytes:
        target = posixpath.normpath(posixpath.join(folder, match[3].decode()))
        found = static_file(target)
        if found is None:
            return match[0]  # not ours: left for the browser to report
        return match[1] + match[2] + f"/static/{target}?v={found.digest}".encode() + match[2]

    return IMPORT_SPECIFIER.sub(pin, source)


def accepted_codings(header: str) -> set[str]:
    """The content codings an `Accept-Encoding` header allows (`q=0` refuses one)."""
    codings = set()
    for part in header.lower().split(","):
        name, _, params = part.partition(";")
        weight = params.strip().removeprefix("q=")
        try:
            if params and float(weight) == 0:
                continue
        except ValueError:
            continue
        codings.add(name.strip())
    return codings


@functools.cache
def _index() -> dict[str, Path]:
    """Every file under static/, by its path in the URL: nothing else can be served."""
    return {p.relative_to(STATIC_DIR).as_posix(): p for p in STATIC_DIR.rglob("*") if p.is_file()}


_loading: set[str] = set()


@functools.cache
def _load(name: str) -> StaticFile:
    # A module's hash includes its imports' hashes, so modules must not import each other in a circle.
    if name in _loading:
        raise RuntimeError(f"static/{name}: import cycle between ES modules")
    _loading.add(name)
    try:
        return StaticFile(name, _index()[name])
    finally:
        _loading.discard(name)


def static_file(name: str) -> StaticFile | None:
    name = name.lstrip("/")
    return _load(name) if name in _index() else None


class StaticController(Controller):
    path = "/static"
    include_in_schema = False

    @route("/{file_path:path}", http_method=["GET", "HEAD"], name="static", opt=PUBLIC | PRECOMPRESSED)
    async def file(self, request: Request, file_path: FromPath[str]) -> Response[bytes]:
        """A static file. With the current `?v=` hash it is cached for a year; without it (or with an
        old one, from a page rendered before a release) the browser revalidates it every time."""
        found = static_file(file_path)
        if found is None:
            raise NotFoundException()
        coding, body = found.encoded(request.headers.get("accept-encoding", ""))
        headers = {"Vary": "Accept-Encoding"} if found.compressible else {}
        if coding:
            headers["Content-Encoding"] = coding
        if request.query_params.get("v") == found.digest:
            return Response(body, media_type=found.media_type, headers=headers | {"Cache-Control": YEAR})
        # Unversioned: an ETag to revalidate with (a versioned URL is never revalidated: immutable).
        headers |= {"Cache-Control": "no-cache", "ETag": f'"{found.digest}{"-" + coding if coding else ""}"'}
        if headers["ETag"] in request.headers.get("if-none-match", ""):
            return Response(b"", status_code=304, headers=headers)
        return Response(body, media_type=found.media_type, headers=headers)
