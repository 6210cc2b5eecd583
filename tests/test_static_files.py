"""What a page fetches: compressed, and cached as its URL allows (bpttviz.serve.static); and
nothing from another host."""

import gzip
import re
import urllib.error
import urllib.request

import pytest

from bpttviz.serve import served
from bpttviz.serve.static import IMMUTABLE, REVALIDATE, cache_control


@pytest.mark.parametrize("path, query, policy", [
    # webpack's content hash in the name: lab extensions' chunks and entries, fonts
    ("/voila/labextensions/@jupyter-widgets/jupyterlab-manager/static/121.5c5a442bc10a67ee.js",
     "v=5c5a442bc10a67ee", IMMUTABLE),
    ("/voila/labextensions/anywidget/static/remoteEntry.698dcaf7.js", "", IMMUTABLE),
    ("/voila/templates/bpttviz/static/9834b82ad26e2a37583d.woff2", "", IMMUTABLE),
    # Voila's version query of a template's file (Tornado's static_url hash)
    ("/voila/templates/bpttviz/static/index.css", "v=ee8de085778696b327a178e9", IMMUTABLE),
    # Voila's scripts under the path naming their version (bpttviz serve's page loads them so)
    ("/voila/static/v-0123456789abcdef/1187.voila.js", "", IMMUTABLE),
    # behind JupyterHub's base URL
    ("/user/ada/voila/labextensions/anywidget/static/2.3dbf81c0.js", "", IMMUTABLE),
    # named by chunk number only, or not versioned: checked with the server before each use
    ("/voila/static/1187.voila.js", "", REVALIDATE),
    ("/voila/static/voila.js", "v=0123456789abcdef", REVALIDATE),     # Voila's ignore ?v=
    ("/voila/templates/bpttviz/static/voila-style.js", "", REVALIDATE),
    ("/voila/templates/bpttviz/static/index.css", "v=1.2", REVALIDATE),
    ("/voila/labextensions/anywidget/package.json", "", REVALIDATE),
    # not files: left as their handlers say (pages are no-store, the API its own)
    ("/voila/render/02_vanishing_exploding.ipynb", "", None),
    ("/api/kernels/abc", "", None),
])
def test_cache_control_follows_whether_the_url_names_its_content(path, query, policy):
    assert cache_control(path, query) == policy


def get(url, **headers):
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip", **headers})
    try:
        with urllib.request.urlopen(request, timeout=60) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, b""


@pytest.mark.slow
def test_a_page_and_its_files_come_compressed_and_cacheable():
    with served(start_timeout=120) as server:
        status, headers, body = get(f"{server.url}/voila/render/index.ipynb")
        html = gzip.decompress(body).decode()
        assert status == 200 and headers["Content-Encoding"] == "gzip"
        assert "cdn.jsdelivr" not in html and not re.search(r'(src|href)="https?://', html)

        status, headers, body = get(f"{server.url}/voila/static/voila.js")
        assert status == 200 and headers["Content-Encoding"] == "gzip"
        assert headers["Cache-Control"] == REVALIDATE and headers["ETag"]
        assert len(body) < len(gzip.decompress(body)) / 2
        status, again, _ = get(f"{server.url}/voila/static/voila.js",
                               **{"If-None-Match": headers["ETag"]})
        assert status == 304 and again["Cache-Control"] == REVALIDATE
        # compressed once, then sent from memory: the same bytes, with their length
        status, second, body2 = get(f"{server.url}/voila/static/voila.js")
        assert status == 200 and body2 == body and int(second["Content-Length"]) == len(body)
        status, plain, text = get(f"{server.url}/voila/static/voila.js",
                                  **{"Accept-Encoding": "identity"})
        assert "Content-Encoding" not in plain and text == gzip.decompress(body)

        # the page loads Voila's scripts from the path naming their version: immutable
        script = re.search(r'<script src="(/voila/static/v-[0-9a-f]{16})/voila\.js"', html)
        assert script, "the page loads voila.js from a versioned path"
        status, headers, body3 = get(f"{server.url}{script.group(1)}/voila.js")
        assert status == 200 and headers["Cache-Control"] == IMMUTABLE
        assert gzip.decompress(body3) == gzip.decompress(body)
        assert f'"fullStaticUrl": "{script.group(1)}"' in html     # where its chunks come from

        entry = re.search(r'"load": "(?:\./)?(static/remoteEntry\.[0-9a-f]+\.js)", '
                          r'"name": "anywidget"', html)
        assert entry, "the page names anywidget's lab extension"
        status, headers, _ = get(f"{server.url}/voila/labextensions/anywidget/{entry.group(1)}")
        assert status == 200 and headers["Cache-Control"] == IMMUTABLE
        assert headers["Content-Encoding"] == "gzip"
        assert "jupyterlab_pygments" not in html         # UNUSED_EXTENSIONS


def test_the_static_version_changes_with_any_file_and_only_then(tmp_path):
    from bpttviz.serve.static import static_version

    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "1187.voila.js").write_text("one")
    (tmp_path / "a" / "voila.js").write_text("main")
    folders = [tmp_path / "a", tmp_path / "missing"]
    first = static_version(folders)
    assert len(first) == 16 and static_version(folders) == first
    (tmp_path / "a" / "1187.voila.js").write_text("two")
    assert static_version(folders) != first
