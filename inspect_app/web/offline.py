"""The service worker that keeps a downloaded visit usable without signal (see docs/offline.md).

It is served from the root (`/sw.js`), not from `/static/`, because a worker only controls the
paths under its own URL, and it must control `/visits/…`. The file is `static/js/sw.js`; its
`__SW_VERSION__` placeholder becomes the file's content hash, which names the worker's cache:
a new worker means a new cache, and the old one is migrated and deleted on activation.
"""

from __future__ import annotations

import functools
import hashlib

from litestar import Controller, Response, get

from inspect_app.permissions import PUBLIC
from inspect_app.settings import ROOT

SW_FILE = ROOT / "static" / "js" / "sw.js"


@functools.cache
def worker_script() -> bytes:
    source = SW_FILE.read_bytes()
    version = hashlib.sha256(source).hexdigest()[:12]
    return source.replace(b"__SW_VERSION__", version.encode())


class OfflineController(Controller):
    include_in_schema = False

    @get("/sw.js", name="offline:worker", opt=PUBLIC)
    async def worker(self) -> Response[bytes]:
        """The worker script: revalidated on every check (no-cache), allowed to control the whole site."""
        return Response(worker_script(), media_type="text/javascript; charset=utf-8", headers={
            "Cache-Control": "no-cache",
            "Service-Worker-Allowed": "/",
        })
