"""The images a lesson canvas sends are the pixels it drew: a full image first, then only
the pixels that changed (transparent elsewhere), whatever zlib level encodes them."""

import io

import numpy as np
import pytest
from matplotlib.backends.backend_webagg_core import FigureCanvasWebAggCore
from PIL import Image

from bpttviz.app import TruncationApp


@pytest.fixture(autouse=True)
def no_voila_environment(monkeypatch):
    for name in ("QUERY_STRING", "VOILA_REQUEST_URL", "VOILA_PREHEAT"):
        monkeypatch.delenv(name, raising=False)


def decoded(png):
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))


def test_full_then_diff_images_decode_to_the_drawn_pixels_as_matplotlibs_do():
    app = TruncationApp(query="")
    canvas = app.canvases["timeline"] if "timeline" in app.canvases else \
        next(iter(app.canvases.values()))
    canvas._force_full = True
    canvas.draw()
    before = np.asarray(canvas.buffer_rgba()).copy()
    canvas._png_is_old = True
    canvas._last_buff = np.empty((0, 0), dtype=np.uint32)
    full = canvas.get_diff_image()
    assert canvas._current_image_mode == "full"
    assert np.array_equal(decoded(full), before)
    assert canvas.get_diff_image() is None                   # nothing new drawn since

    app.set(k2=30)
    canvas.draw()
    after = np.asarray(canvas.buffer_rgba()).copy()
    changed = np.any(after != before, axis=-1)
    assert changed.any()
    canvas._png_is_old = True
    canvas._last_buff = before.view(np.uint32).squeeze(2).copy()
    diff = canvas.get_diff_image()
    assert canvas._current_image_mode == "diff"
    expected = np.where(changed[..., None], after, 0)
    assert np.array_equal(decoded(diff), expected)
    # Matplotlib's own encoding of the same diff decodes to the same pixels
    canvas._png_is_old = True
    canvas._last_buff = before.view(np.uint32).squeeze(2).copy()
    reference = FigureCanvasWebAggCore.get_diff_image(canvas)
    assert np.array_equal(decoded(reference), decoded(diff))
    assert len(diff) < 4 * len(reference) + 1000             # still a compressed image
