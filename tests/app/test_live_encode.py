"""How a figure record travels to the page: named arrays, sent once, grown curves as tails."""

import base64
import json
from pathlib import Path

import numpy as np
import pytest
import traitlets

from bpttviz import figures as F
from bpttviz.app.live import LiveFigure
from bpttviz.app.live.encode import MAX_CHUNKS, encode, pool


def decode(desc, arrays, dtype_map={"f8": np.float64, "f4": np.float32, "u1": np.uint8,
                                    "i4": np.int32, "i1": np.int8}):
    """What the page rebuilds from a descriptor and the bytes it was sent."""
    pieces = desc.get("chunks", [desc])
    parts = [np.frombuffer(arrays[p["ref"]], dtype=dtype_map[p["dtype"]]) for p in pieces]
    return np.concatenate(parts).reshape(desc["shape"])


class Recorder(LiveFigure):
    """A live figure that keeps the arrays it sends: with a state (its ``arrays``) or in a
    custom message (an answer to a view that asked)."""

    def __init__(self, *args, **kwargs):
        self.sent = []
        super().__init__(*args, **kwargs)

    @traitlets.observe("arrays")
    def _arrays_sent(self, change):
        if change["new"]:
            self.sent.append(({"refs": list(change["new"])}, list(change["new"].values())))

    def send(self, content, buffers=None):
        self.sent.append((content, [bytes(b) for b in buffers or []]))

    def received(self):
        """Every array the page has been sent, by name."""
        out = {}
        for content, buffers in self.sent:
            out.update(zip(content["refs"], buffers))
        return out


def test_a_line_arrives_with_its_numbers():
    x = np.arange(5.0)
    y = np.array([1.0, 0.5, np.nan, 0.25, 0.125])
    spec, arrays, _ = encode(F.lines(x, [y], ["loss"], log=False))
    line = next(m for m in spec["panels"][0]["marks"] if m["type"] == "Line" and m["label"] == "loss")
    np.testing.assert_array_equal(decode(line["x"], arrays), x)
    np.testing.assert_array_equal(decode(line["y"], arrays), y)


def test_values_beyond_float32_travel_as_float64():
    flow = np.tril(np.full((4, 4), 1e-200))
    flow[3, 0] = 1e-190
    spec, arrays, _ = encode(F.flow(flow))
    heat = spec["panels"][0]["marks"][0]
    assert heat["values"]["dtype"] == "f8"
    got = decode(heat["values"], arrays)
    assert got[3, 0] == 1e-190 and got[0, 0] == 1e-200


def test_an_array_sent_once_is_not_sent_again():
    fig = Recorder(F.flow(np.tril(np.ones((6, 6)))))
    first = sum(len(b) for _, bs in fig.sent for b in bs)
    assert first > 6 * 6 * 4 - 1
    fig.show(F.flow(np.tril(np.ones((6, 6))), overflow_step=3))     # same heatmap, a new mark
    second = sum(len(b) for _, bs in fig.sent[1:] for b in bs)
    assert second == 0
    assert fig.version == 2


def test_a_growing_curve_sends_only_its_new_points():
    fig = Recorder()
    for n in range(2, 40):
        x = np.arange(n, dtype=float)
        fig.show(F.lines(x, [np.exp(-x)], ["loss"]))
    last = fig.sent[-1][1]
    assert sum(len(b) for b in last) <= 2 * 8          # one new x and one new y
    line = next(m for m in fig.spec["panels"][0]["marks"] if m["type"] == "Line")
    assert "chunks" in line["y"]
    np.testing.assert_allclose(decode(line["y"], fig.received()), np.exp(-np.arange(39.0)),
                               rtol=1e-6)


def test_a_curve_made_of_too_many_pieces_is_sent_whole_again():
    fig = Recorder()
    for n in range(1, MAX_CHUNKS + 5):
        fig.show(F.lines(np.arange(n, dtype=float), [np.arange(n, dtype=float)], ["a"],
                         log=False))
    line = next(m for m in fig.spec["panels"][0]["marks"] if m["type"] == "Line")
    assert len(line["y"].get("chunks", [line["y"]])) <= MAX_CHUNKS


def test_a_changed_prefix_is_sent_whole():
    fig = Recorder(F.lines(np.arange(3.0), [np.array([1.0, 2.0, 3.0])], ["a"], log=False))
    fig.show(F.lines(np.arange(4.0), [np.array([9.0, 2.0, 3.0, 4.0])], ["a"], log=False))
    line = next(m for m in fig.spec["panels"][0]["marks"] if m["type"] == "Line")
    assert "chunks" not in line["y"]
    np.testing.assert_array_equal(decode(line["y"], fig.received()), [9, 2, 3, 4])


def test_a_view_that_joins_later_gets_what_it_asks_for():
    fig = Recorder(F.flow(np.tril(np.ones((5, 5)))))
    refs = list(fig.received())
    fig.sent.clear()
    fig._answer(fig, {"type": "need", "refs": refs + ["not-a-ref", 3]}, [])
    assert [c["refs"] for c, _ in fig.sent] == [refs]
    fig.sent.clear()
    fig._answer(fig, {"type": "need", "refs": "everything"}, [])
    fig._answer(fig, ["need"], [])
    assert fig.sent == []


def test_pooling_keeps_an_overflow_and_leaves_small_heatmaps_alone():
    small = np.arange(12.0).reshape(3, 4)
    assert pool(small, 8) is not None and np.array_equal(pool(small, 8), small)
    big = np.full((600, 600), 1.0)
    big[599, 0] = np.inf
    big[:10, 300:] = np.nan
    out = pool(big, 256)
    assert max(out.shape) <= 256
    assert np.isinf(out).sum() == 1
    assert np.isnan(out[0, -1])


def test_a_pooled_mask_covers_a_block_only_when_it_covers_all_of_it():
    # 400 losses, a target at the last only: pooled two rows a block, the last block holds a
    # loss without a target and the one with; the page must still show the one with.
    T = 400
    flow = np.full((T, T), np.nan)
    flow[-1] = np.geomspace(1e-6, 1.0, T)
    spec, arrays, _ = encode(F.flow(flow))
    heat, no_loss = spec["panels"][0]["marks"]
    assert no_loss["label"] == "no loss at this step"
    where, values = decode(no_loss["where"], arrays), decode(heat["values"], arrays)
    assert where.shape == values.shape == (200, 200)
    assert where[:-1].all() and not where[-1].any()
    np.testing.assert_allclose(values[-1], flow[-1].reshape(200, 2).max(axis=1),
                               rtol=1e-6)                          # sent as float32


def test_a_record_of_the_wrong_kind_is_refused_by_name():
    with pytest.raises(TypeError, match="bpttviz.figures.Figure. Got dict"):
        encode({"panels": []})


# --- what the page's unit tests decode ------------------------------------------------------
#: Records as encode writes them, read by tests/js/arrays.test.mjs (figure.js decodes them).
JS_FIXTURE = Path(__file__).resolve().parents[1] / "js" / "fixtures" / "encoded.json"


def js_fixture() -> dict:
    """Two records of one figure as the page receives them: ``specs`` (JSON) and ``arrays``
    (every array either names, base64). The second has two more points on its curve: its ``y``
    travels as the first's array plus a tail (chunks)."""
    x, y = np.arange(4.0), np.array([1.0, 0.5, np.nan, 0.25])

    def figure(n):
        more = np.array([0.125, 0.0625])[:n - 4]
        return F.Figure((F.Panel(marks=(
            F.Line(np.arange(float(n)), np.append(y, more), label="loss"),
            F.Line(x, 1e-200 * (1 + x)),                                      # beyond float32
            F.Points([0.0, 1.0], [2.0, 3.0], color=("#ff0000", "#0000ff")),
            F.Heatmap([[0.0, 1.0, 2.0], [3.0, np.nan, np.inf]], (0, 3, 0, 2)),
            F.Mask([[True, False, True], [False, True, False]], (0, 3, 0, 2)))),))

    first, arrays, places = encode(figure(4))
    second, grown, _ = encode(figure(6), places)
    everything = {**arrays, **{ref: raw for ref, raw in grown.items() if raw is not None}}
    return {"specs": [first, second],
            "arrays": {ref: base64.b64encode(raw).decode() for ref, raw in everything.items()}}


def write_js_fixture():
    JS_FIXTURE.parent.mkdir(exist_ok=True)
    JS_FIXTURE.write_text(json.dumps(js_fixture(), indent=1) + "\n")


def test_the_page_unit_tests_decode_what_encode_writes_now():
    assert json.loads(JS_FIXTURE.read_text()) == json.loads(json.dumps(js_fixture())), (
        "encode writes records differently: rewrite tests/js/fixtures/encoded.json with "
        "`python tests/app/test_live_encode.py`, then run `node --test tests/js/*.test.mjs`")


if __name__ == "__main__":
    write_js_fixture()
