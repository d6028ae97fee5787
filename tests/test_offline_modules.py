"""The visit page's ES modules (static/js/offline/, static/js/photos.js; docs/offline.md): served with their
imports pinned to versioned URLs, so that the service worker's cache-first rule can never mix two releases,
and linked from the page only through capture.js's loader."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from inspect_app.settings import ROOT
from inspect_app.web import static
from inspect_app.web.templating import asset

MODULES = sorted(p.relative_to(ROOT / "static").as_posix() for p in (ROOT / "static" / "js" / "offline").glob("*.js"))
IMPORTED = re.compile(r"""(?:import|from)\s*\(?\s*["']([^"']+)["']""")


@pytest.fixture
def static_dir(tmp_path, monkeypatch):
    """A static/ folder of our own; the route's file caches are emptied before and after."""
    monkeypatch.setattr(static, "STATIC_DIR", tmp_path)
    static._index.cache_clear()
    static._load.cache_clear()
    yield tmp_path
    monkeypatch.undo()
    static._index.cache_clear()
    static._load.cache_clear()


def test_every_offline_module_imports_the_others_by_their_current_versioned_url(client):
    assert "js/offline/main.js" in MODULES
    for name in MODULES:
        response = client.get(asset(name), headers={"Accept-Encoding": "identity"})
        assert response.status_code == 200, name
        assert response.headers["content-type"] == "text/javascript; charset=utf-8"
        specifiers = IMPORTED.findall(response.text)
        for specifier in specifiers:
            assert re.fullmatch(r"/static/js/(offline/)?\w+\.js\?v=[0-9a-f]{12}", specifier), (name, specifier)
            target = client.get(specifier)
            # The hash in the URL is the target's current one: cached for a year, never revalidated.
            assert target.status_code == 200 and "immutable" in target.headers["cache-control"], specifier


def test_a_changed_module_changes_the_url_of_every_module_that_imports_it(static_dir):
    (static_dir / "js").mkdir()
    (static_dir / "js" / "leaf.js").write_text('export const a = 1;\n')
    (static_dir / "js" / "mid.js").write_text('import { a } from "./leaf.js";\nexport const b = a;\n')
    (static_dir / "js" / "top.js").write_text('import("./mid.js"); import "./nope.js"; Array.from("./leaf.js");\n')
    leaf, mid, top = (static.static_file(f"js/{n}.js") for n in ("leaf", "mid", "top"))
    assert f'from "/static/js/leaf.js?v={leaf.digest}"'.encode() in mid.data
    assert f'import("/static/js/mid.js?v={mid.digest}")'.encode() in top.data
    # Not a static file, or not an import: left as written.
    assert b'import "./nope.js"' in top.data and b'Array.from("./leaf.js")' in top.data

    (static_dir / "js" / "leaf.js").write_text('export const a = 2;\n')
    static._index.cache_clear()
    static._load.cache_clear()
    assert static.static_file("js/leaf.js").digest != leaf.digest
    assert static.static_file("js/mid.js").digest != mid.digest
    assert static.static_file("js/top.js").digest != top.digest


def test_modules_importing_each_other_in_a_circle_are_refused(static_dir):
    (static_dir / "a.js").write_text('import "./b.js";\n')
    (static_dir / "b.js").write_text('import "./a.js";\n')
    with pytest.raises(RuntimeError, match="import cycle"):
        static.static_file("a.js")


def test_the_visit_page_names_the_offline_code_but_does_not_load_it(as_role):
    client = as_role("inspector")
    visit = next(v for v in client.get("/api/v1/visits").json() if v["unit_code"] == "11560")
    html = client.get(f"/visits/{visit['id']}").text
    assert f'data-src="{asset("js/offline/main.js")}"' in html
    assert f'data-photos="{asset("js/photos.js")}"' in html
    scripts = re.findall(r'<script src="([^"]+)"', html)
    assert scripts == [asset("js/htmx-2.0.11.min.js"), asset("js/capture.js")]


def test_scripts_and_style_sheets_are_served_without_their_comments_each_line_in_its_place(static_dir):
    (static_dir / "js").mkdir()
    (static_dir / "css").mkdir()
    (static_dir / "js" / "a.js").write_text(
        '// what this does\nconst a = 1; // kept: not a whole line\n  // indented\n'
        'const t = `one\n// text of a template literal, not a comment\n`;\n'
        'const s = "a \\\n// a string going on\";\nconst u = "http://x";\n')
    (static_dir / "js" / "odd.js").write_text('// a file with one backtick: served as it is\nconst q = "`";\n')
    (static_dir / "js" / "v.min.js").write_text('// licence\nvar v=1;\n')
    (static_dir / "css" / "a.css").write_text(
        '/* head */\na { color: red; } /* one\ntwo */\nb::after { content: "/* x */"; }\n')
    js = static.static_file("js/a.js").data.decode()
    assert js.splitlines() == ["", "const a = 1; // kept: not a whole line", "", "const t = `one",
                               "// text of a template literal, not a comment", "`;", 'const s = "a \\',
                               '// a string going on";', 'const u = "http://x";']
    assert static.static_file("js/odd.js").data == (static_dir / "js" / "odd.js").read_bytes()
    assert static.static_file("js/v.min.js").data == b"// licence\nvar v=1;\n"
    assert static.static_file("css/a.css").data == b'\na { color: red; } \n\nb::after { content: "/* x */"; }\n'


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js to check the syntax")
def test_every_served_script_still_parses(tmp_path):
    for path in sorted((ROOT / "static" / "js").rglob("*.js")):
        name = path.relative_to(ROOT / "static").as_posix()
        served = static.static_file(name).data
        module = name.startswith("js/offline/") or re.search(rb"^\s*(import|export)\b", served, re.M)
        copy = tmp_path / (path.stem + (".mjs" if module else ".cjs"))
        copy.write_bytes(served)
        checked = subprocess.run(["node", "--check", str(copy)], capture_output=True, text=True)
        assert checked.returncode == 0, (name, checked.stderr)
