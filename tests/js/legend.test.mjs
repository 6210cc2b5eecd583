// Legends: laid out with Matplotlib's metrics (bpttviz/figures/placement.py's LEGEND, in units of
// the legend's type), at the location the record names, chosen from the data when the record was
// built: figure.js picks no spot of its own. The plot area is 200 x 100 CSS pixels at (10, 20);
// the fake context sets type 0.6 of its size wide a character.
import { test } from "node:test";
import assert from "node:assert/strict";
import figure, { COLORMAPS } from "./figure.mjs";
import { FakeContext } from "./fake_context.mjs";

const { drawPanel, legendLayout, sizes, LEGEND, LEGEND_SPOTS, OUTSIDE } = figure;

const box = { x: 10, y: 20, w: 200, h: 100 };
const luts = (name) => COLORMAPS[name];
const f32 = (...v) => Float32Array.from(v);
const axis = (limits) => ({ label: "", limits, scale: "linear", ticks: null, tick_labels: null,
  integer: false, color: null, visible: true });
const line = (label) => ({ type: "Line", x: f32(0, 10), y: f32(0, 1), color: "#0072B2", width: 2.2,
  dash: "solid", marker: null, marker_size: 7, halo: null, label, axis: "y" });
const panel = (labels, more = {}) => ({ x: axis([0, 10]), y: axis([0, 1]), marks: labels.map(line),
  title: "", y2: null, legend: "upper right", legend_columns: 1, frame: true, cell: [0, 0, 1, 1],
  name: "", inset: null, y_side: "left", title_size: null, ...more });
const near = (a, b, what) => assert.ok(Math.abs(a - b) < 1e-9, `${what}: ${a} != ${b}`);

// The legend's box: the widest fill is the one of its white background.
const legendBox = (ctx) => ctx.find("fill").find((o) => o.fillStyle === "rgba(255,255,255,0.85)")
  .path[0];

test("the legend's pads are Matplotlib's defaults, in units of its type's size", () => {
  assert.deepEqual(LEGEND, { border_pad: 0.4, handle: 2.0, handle_pad: 0.8, row: 1.12, row_gap: 0.5,
    column_gap: 2.0, axes_pad: 0.5 });
});

test("a legend is as wide as its widest entry and as high as its rows, Matplotlib's layout", () => {
  const S = sizes(1);
  const f = S.legend;                         // 9 points: 12.5 pixels
  const L = legendLayout(new FakeContext(), panel(["ab", "abcd"]), S, 1000);
  near(L.w, f * (0.4 * 2 + 2.0 + 0.8) + 0.6 * f * 4, "width");
  near(L.h, f * (0.4 * 2 + 2 * 1.12 + 0.5), "height");
});

test("columns fill top to bottom first, as Matplotlib fills them", () => {
  const S = sizes(1);
  const L = legendLayout(new FakeContext(), panel(["a", "b", "c"], { legend_columns: 2 }), S, 1000);
  const at = Object.fromEntries(L.place.map((p) => [p.e.label, p]));
  assert.equal(at.a.x, at.b.x);
  assert.ok(at.c.x > at.a.x);
  assert.ok(at.b.y > at.a.y);
  assert.equal(at.c.y, at.a.y);
});

test("the legend sits at the record's spot, half its type's size from the frame", () => {
  const S = sizes(1);
  const pad = LEGEND.axes_pad * S.legend;
  for (const [where, [fx, fy]] of Object.entries(LEGEND_SPOTS)) {
    const ctx = new FakeContext();
    const p = panel(["a line"], { legend: where });
    drawPanel(ctx, p, box, S, 1, luts, { ...box });
    const L = legendLayout(ctx, p, S, box.w);
    const [[x0, y0]] = legendBox(ctx);
    near(x0, box.x + pad + fx * (box.w - L.w - 2 * pad), `${where} x`);
    near(y0, box.y + pad + fy * (box.h - L.h - 2 * pad), `${where} y`);
  }
});

test("a legend outside sits right of a narrower plot area, inside its cell", () => {
  const S = sizes(1);
  const cell = { x: 0, y: 0, w: 425, h: 300 };
  const inside = drawPanel(new FakeContext(), panel(["a line"]), cell, S, 1, luts);
  const ctx = new FakeContext();
  const p = panel(["a line"], { legend: OUTSIDE });
  const area = drawPanel(ctx, p, cell, S, 1, luts);
  const [[x0, y0], [x1]] = legendBox(ctx);
  assert.ok(area.w < inside.w, "the plot area gives the legend its room");
  assert.ok(x0 > area.x + area.w, "right of the plot area");
  assert.ok(x1 <= cell.x + cell.w, "inside the cell");
  near(y0, area.y, "its top at the plot area's top");
});

test("a legend location figure.js does not know fails by its name", () => {
  const best = panel(["a"], { legend: "best" });
  assert.throws(() => drawPanel(new FakeContext(), best, box, sizes(1), 1, luts, { ...box }),
    /no legend location best/);
});
