// Marks: each drawer of figure.js's registry, on a context that records what it is asked to
// draw, and a panel drawn around them (clip, frame, axes). The plot area is 200 x 100 CSS pixels
// at (10, 20); x runs 0..10 (20 px a unit), y 0..1 up the page (100 px a unit).
import { test } from "node:test";
import assert from "node:assert/strict";
import figure, { COLORMAPS, PT } from "./figure.mjs";
import { FakeContext } from "./fake_context.mjs";

const { DRAWERS, drawPanel, makeScale, sizes } = figure;

const box = { x: 10, y: 20, w: 200, h: 100 };
const sx = makeScale({ limits: [0, 10], scale: "linear" }, 10, 210);
const sy = makeScale({ limits: [0, 1], scale: "linear" }, 120, 20);
const plot = { box, sx, sy, z: 1, luts: (name) => COLORMAPS[name] };
const f32 = (...v) => Float32Array.from(v);
const u8 = (...v) => Uint8Array.from(v);
const grid = (a, shape) => Object.assign(a, { shape });

// Marks as the page has them: every field of the record (bpttviz/figures/record.py's defaults).
const mark = {
  Line: (m) => ({ type: "Line", color: "#0072B2", width: 2.2, dash: "solid", marker: null, marker_size: 7,
    halo: null, label: null, axis: "y", ...m }),
  Band: (m) => ({ type: "Band", color: "#56B4E9", alpha: 0.35, label: null, axis: "y", ...m }),
  Points: (m) => ({ type: "Points", color: "#0072B2", size: 7, marker: "o", edge: null, edge_width: 0,
    hollow: false, alpha: 1, label: null, axis: "y", ...m }),
  Rects: (m) => ({ type: "Rects", color: "#0072B2", alpha: 1, edge: null, edge_width: 0, label: null,
    axis: "y", ...m }),
  Segments: (m) => ({ type: "Segments", color: "#56B4E9", width: 2, dash: "solid", arrow: false, shrink: 0,
    label: null, axis: "y", ...m }),
  Heatmap: (m) => ({ type: "Heatmap", scale: { cmap: "viridis", norm: "linear", vmin: 0, vmax: 1,
    bad: "#eeeeee", over: null, label: "", colorbar: false, extend: "neither" }, ...m }),
  Mask: (m) => ({ type: "Mask", color: "#ffffff", alpha: 0.78, label: null, ...m }),
  Rule: (m) => ({ type: "Rule", axis: "y", color: "#000000", width: 1, dash: "dotted", label: null, ...m }),
  Text: (m) => ({ type: "Text", coords: "data", ha: "left", va: "center", color: "#000000", size: 10,
    box: false, axis: "y", offset: [0, 0], edge: null, ...m }),
};

function draw(m, where = plot) {
  const ctx = new FakeContext();
  DRAWERS[m.type](ctx, m, where);
  return ctx;
}

function near(actual, expected, what, tolerance = 1e-9) {
  // Numbers nested in arrays (a path: subpaths of points) equal to a billionth of a pixel.
  const same = (a, e) => (Array.isArray(e)
    ? Array.isArray(a) && a.length === e.length && e.every((x, i) => same(a[i], x))
    : Math.abs(a - e) <= tolerance);
  assert.ok(same(actual, expected), `${what}: ${JSON.stringify(actual)} is not ${JSON.stringify(expected)}`);
}

test("the registry has a drawer for every mark type of the records, and no other", () => {
  assert.deepEqual(Object.keys(DRAWERS).sort(),
    ["Band", "Heatmap", "Line", "Mask", "Points", "Rects", "Rule", "Segments", "Text"]);
  assert.ok(Object.values(DRAWERS).every((d) => typeof d === "function"));
});

// --- Line ----------------------------------------------------------------------------------------
test("a line with a NaN is one stroke of two pieces, the gap where the NaN is", () => {
  const ctx = draw(mark.Line({ x: f32(0, 1, 2, 3, 4), y: f32(0, 0.5, NaN, 0.5, 1) }));
  const [stroke, ...more] = ctx.find("stroke");
  assert.equal(more.length, 0);
  near(stroke.path, [[[10, 120], [30, 70]], [[70, 70], [90, 20]]], "pieces");
  assert.equal(stroke.strokeStyle, "#0072B2");
  near([stroke.lineWidth], [2.2 * PT], "width in pixels");
  assert.deepEqual(stroke.dash, []);
});

test("a haloed dashed line strokes its halo first, wider by 1.8 points, both dashed", () => {
  const ctx = draw(mark.Line({ x: f32(0, 10), y: f32(0, 1), width: 2, dash: "dashed", halo: "#ffffff" }));
  const [halo, line] = ctx.find("stroke");
  assert.equal(halo.strokeStyle, "#ffffff");
  near([halo.lineWidth, line.lineWidth], [3.8 * PT, 2 * PT], "widths");
  assert.equal(line.strokeStyle, "#0072B2");
  near(line.dash, [3.7 * 2 * PT, 1.6 * 2 * PT], "dash");
  assert.deepEqual(ctx.dash, []);                            // left as it found it
});

test("a line of width 0 with markers draws only its markers, none at a NaN", () => {
  const ctx = draw(mark.Line({ x: f32(0, 5, 10), y: f32(0, NaN, 1), width: 0, marker: "o", marker_size: 9 }));
  assert.equal(ctx.find("stroke").length, 0);
  const fills = ctx.find("fill");
  near(fills.map((f) => f.path[0][0]), [[10, 120], [210, 20]], "marker centres");
  near(fills.map((f) => f.path[0].arc), [4.5 * PT, 4.5 * PT], "marker radii");
});

// --- Band ----------------------------------------------------------------------------------------
test("a band is one filled polygon per run of finite values, high edge out and low edge back", () => {
  const ctx = draw(mark.Band({ x: f32(0, 1, 2, 3), low: f32(0, 0, NaN, 0), high: f32(1, 1, 1, 1) }));
  const fills = ctx.find("fill");
  assert.equal(fills.length, 2);
  near(fills[0].path, [[[10, 20], [30, 20], [30, 120], [10, 120]]], "first run");
  near(fills[1].path, [[[70, 20], [70, 120]]], "second run");
  assert.ok(fills[0].path[0].closed);
  assert.equal(fills[0].fillStyle, "rgba(86,180,233,0.35)");
});

// --- Points --------------------------------------------------------------------------------------
test("points have their own colour and size; a point at NaN is left out", () => {
  const ctx = draw(mark.Points({ x: f32(1, 2, NaN), y: f32(0.5, 0.5, 0.5), size: f32(7, 14, 7),
    color: grid(u8(255, 0, 0, 255, 0, 0, 255, 255, 0, 0, 0, 255), [3, 4]) }));
  const fills = ctx.find("fill");
  assert.deepEqual(fills.map((f) => f.fillStyle), ["rgba(255,0,0,1)", "rgba(0,0,255,1)"]);
  near(fills.map((f) => [...f.path[0][0], f.path[0].arc]), [[30, 70, 3.5 * PT], [50, 70, 7 * PT]], "circles");
  assert.equal(ctx.find("stroke").length, 0);
});

test("hollow points are stroked in their colour, at least 1.5 points wide, and not filled", () => {
  const ctx = draw(mark.Points({ x: f32(5), y: f32(0.5), marker: "s", size: 9, color: "#CC79A7", hollow: true,
    edge_width: 1 }));
  assert.equal(ctx.find("fill").length, 0);
  const [stroke] = ctx.find("stroke");
  assert.equal(stroke.strokeStyle, "#CC79A7");
  near([stroke.lineWidth], [1.5 * PT], "edge width");
  const r = 4.5 * PT;
  near(stroke.path, [[[110 - r, 70 - r], [110 + r, 70 - r], [110 + r, 70 + r], [110 - r, 70 + r]]], "square");
});

// --- Rects ---------------------------------------------------------------------------------------
test("a rectangle covers [x0, x1] x [y0, y1] at its alpha, then its edge at full opacity", () => {
  const ctx = draw(mark.Rects({ x0: f32(1, 4), x1: f32(3, NaN), y0: f32(0, 0), y1: f32(0.5, 1),
    color: "#E69F00", alpha: 0.6, edge: "#000000", edge_width: 1 }));
  const fills = ctx.find("fillRect");
  assert.equal(fills.length, 1);                             // the one with a NaN is left out
  assert.deepEqual(fills[0].rect, [30, 70, 40, 50]);
  assert.equal(fills[0].globalAlpha, 0.6);
  assert.equal(fills[0].fillStyle, "#E69F00");
  const [edge] = ctx.find("strokeRect");
  assert.deepEqual(edge.rect, [30, 70, 40, 50]);
  assert.equal(edge.globalAlpha, 1);
  near([edge.lineWidth], [PT], "edge width");
});

// --- Segments ------------------------------------------------------------------------------------
test("an arrow stops its shaft short of the end and fills a head there", () => {
  const ctx = draw(mark.Segments({ x0: f32(0), y0: f32(0), x1: f32(5), y1: f32(0), arrow: true,
    color: "#D55E00" }));
  const w = 2 * PT;
  const head = Math.max(8, 3 * w);
  const [shaft] = ctx.find("stroke");
  near(shaft.path, [[[10, 120], [110 - 0.8 * head, 120]]], "shaft");
  near([shaft.lineWidth], [w], "shaft width");
  const [tip] = ctx.find("fill");
  near(tip.path, [[[110, 120], [110 - head, 120 + 0.45 * head], [110 - head, 120 - 0.45 * head]]], "head");
  assert.equal(tip.fillStyle, "#D55E00");
});

test("shrink takes points off both ends; a segment shorter than twice that is not drawn", () => {
  const ctx = draw(mark.Segments({ x0: f32(0, 0), y0: f32(0, 0), x1: f32(5, 1), y1: f32(0, 0), shrink: 10,
    width: f32(1, 1), dash: "dotted", color: grid(u8(0, 0, 0, 255, 0, 0, 0, 255), [2, 4]) }));
  const strokes = ctx.find("stroke");
  assert.equal(strokes.length, 1);                          // 20 px long, shrunk by 13.9 px twice
  near(strokes[0].path, [[[10 + 10 * PT, 120], [110 - 10 * PT, 120]]], "shrunk segment");
  near(strokes[0].dash, [PT, 1.65 * PT], "dotted");
});

// --- Heatmap and Mask ----------------------------------------------------------------------------
test("a heatmap is one pixel a cell in the colour map's colours, row 0 at the bottom, unsmoothed", () => {
  const ctx = draw(mark.Heatmap({ values: grid(f32(0, 0.5, 1, NaN), [2, 2]), extent: f32(0, 10, 0, 1) }));
  const [image] = ctx.find("drawImage");
  assert.deepEqual(image.rect, [10, 20, 200, 100]);
  assert.equal(image.imageSmoothingEnabled, false);
  assert.deepEqual([image.image.width, image.image.height], [2, 2]);
  assert.deepEqual([...image.image.data], [
    253, 231, 37, 255, 238, 238, 238, 255,                  // top row: the record's row 1: 1, NaN
    68, 1, 84, 255, 33, 145, 140, 255]);                     // bottom row: its row 0: 0, 0.5
});

test("a mask covers its true cells in its colour at its alpha and leaves the others clear", () => {
  const ctx = draw(mark.Mask({ where: grid(u8(1, 0, 0, 1), [2, 2]), extent: f32(0, 5, 0.5, 1), alpha: 0.5 }));
  const [image] = ctx.find("drawImage");
  assert.deepEqual(image.rect, [10, 20, 100, 50]);
  assert.deepEqual([...image.image.data], [0, 0, 0, 0, 255, 255, 255, 128, 255, 255, 255, 128, 0, 0, 0, 0]);
});

// --- Rule ----------------------------------------------------------------------------------------
test("a rule on x is a vertical line across the plot area at its value, dotted by default", () => {
  const ctx = draw(mark.Rule({ value: 2.5, axis: "x", color: "#0072B2" }));
  const [stroke] = ctx.find("stroke");
  near(stroke.path, [[[60, 20], [60, 120]]], "vertical rule");
  near(stroke.dash, [PT, 1.65 * PT], "dotted");
  assert.equal(stroke.strokeStyle, "#0072B2");
  assert.deepEqual(ctx.dash, []);
});

test("a rule on y is a horizontal line; a rule at no place on a log axis draws nothing", () => {
  near(draw(mark.Rule({ value: 0.25 })).find("stroke")[0].path, [[[10, 95], [210, 95]]], "horizontal rule");
  const log = { ...plot, sy: makeScale({ limits: [1e-3, 1], scale: "log" }, 120, 20) };
  assert.equal(draw(mark.Rule({ value: 0 }), log).ops.length, 0);
});

// --- Text ----------------------------------------------------------------------------------------
// FakeContext sets type 0.6 of its size wide a character; text of 10 points is 10 * PT px.
const size = 10 * PT;

test("text in panel fractions is moved by its offset in points and aligned by its ha and va", () => {
  const ctx = draw(mark.Text({ x: 0.5, y: 0.5, text: "ab", coords: "axes", ha: "right", va: "top",
    offset: [9, 18], color: "#D55E00" }));
  const [t] = ctx.find("fillText");
  assert.equal(t.text, "ab");
  near(t.origin, [110 + 9 * PT, 70 - 18 * PT], "anchor: 9 points right, 18 up");
  near([t.x, t.y], [-2 * 0.6 * size, 0.9 * size], "right-aligned, hanging from the anchor");
  assert.equal(t.fillStyle, "#D55E00");
});

test("text of two lines in data is centred on its anchor, a line apart", () => {
  const ctx = draw(mark.Text({ x: 5, y: 0.5, text: "one\ntwo", ha: "center" }));
  const [one, two] = ctx.find("fillText");
  const lh = 1.25 * size;
  near([one.origin, two.origin], [[110, 70 - lh / 2], [110, 70 + lh / 2]], "lines");
  near([one.x, one.y], [-1.5 * 0.6 * size, 0.35 * size], "centred");
});

test("x-data text takes x in data and y in fractions; a box goes under it", () => {
  const ctx = draw(mark.Text({ x: 2, y: 0.25, text: "note", coords: "x-data", box: true }));
  const [t] = ctx.find("fillText");
  near(t.origin, [50, 95], "anchor");
  const [under] = ctx.find("fillRect");
  assert.equal(under.fillStyle, "rgba(255,255,255,0.8)");
  assert.ok(ctx.ops.indexOf(under) < ctx.ops.indexOf(t));
});

test("text with an edge sits on a white box outlined in that colour", () => {
  const ctx = draw(mark.Text({ x: 0.5, y: 0.5, text: "x", coords: "axes", edge: "#D55E00" }));
  assert.equal(ctx.find("fillRect")[0].fillStyle, "#fff");
  const [outline] = ctx.find("strokeRect");
  assert.equal(outline.strokeStyle, "#D55E00");
  assert.equal(outline.lineWidth, 1.5);
});

// --- a panel -------------------------------------------------------------------------------------
const axis = (limits, more = {}) => ({ label: "", limits, scale: "linear", ticks: null, tick_labels: null,
  integer: false, color: null, visible: true, ...more });
const panel = (marks, more = {}) => ({ x: axis([0, 10]), y: axis([0, 1]), marks, title: "", y2: null,
  legend: null, legend_columns: 1, frame: true, cell: [0, 0, 1, 1], name: "", inset: null, y_side: "left",
  title_size: null, ...more });

test("a panel draws its marks inside its clip, texts after it on top, then its frame", () => {
  const ctx = new FakeContext();
  const p = panel([
    mark.Text({ x: 0.5, y: 1, text: "above", coords: "axes", va: "bottom" }),
    mark.Line({ x: f32(0, 10), y: f32(0, 1) }),
    mark.Rule({ value: 5, axis: "y2", color: "#D55E00" }),
  ], { y2: axis([0, 10]) });
  const drawn = drawPanel(ctx, p, box, sizes(1), 1, plot.luts, { ...box });
  const at = (o) => ctx.ops.indexOf(o);
  const [clip] = ctx.find("clip");
  near(clip.path, [[[10, 20], [210, 20], [210, 120], [10, 120]]], "clip");
  const [line, rule] = ctx.find("stroke").filter((s) => at(s) > at(clip) && s.path.length === 1
    && s.path[0].length === 2 && s.lineWidth !== 0.8);
  near(line.path, [[[10, 120], [210, 20]]], "line");
  near(rule.path, [[[10, 70], [210, 70]]], "rule at 5 on the second y axis (0..10)");
  const restore = ctx.ops.find((o, i) => o.op === "restore" && i > at(clip));
  assert.ok(at(rule) < at(restore));
  const note = ctx.find("fillText").find((t) => t.text === "above");
  assert.ok(at(note) > at(restore), "texts are drawn outside the clip, over every mark");
  const frame = ctx.find("strokeRect")[0];
  assert.deepEqual(frame.rect, [10, 20, 200, 100]);
  assert.ok(at(frame) > at(note));
  assert.equal(drawn.sx.map(5), 110);                       // the plot area and scales, for clicks
  assert.equal(drawn.sy.map(0.5), 70);
});

test("a panel's heatmap with a colour bar draws the colour map beside the plot area, low to high", () => {
  const ctx = new FakeContext();
  const heat = mark.Heatmap({ values: grid(f32(0, 1), [1, 2]), extent: f32(0, 10, 0, 1) });
  heat.scale = { ...heat.scale, colorbar: true, label: "norm" };
  drawPanel(ctx, panel([heat]), box, sizes(1), 1, plot.luts, { ...box });
  const [cells, bar] = ctx.find("drawImage");
  assert.deepEqual([cells.image.width, cells.image.height], [2, 1]);
  assert.deepEqual([bar.image.width, bar.image.height], [1, 256]);
  assert.deepEqual([...bar.image.data.slice(0, 4)], [253, 231, 37, 255]);      // top: vmax
  assert.deepEqual([...bar.image.data.slice(-4)], [68, 1, 84, 255]);          // bottom: vmin
  near([bar.rect[0]], [210 + 2 * sizes(1).pad], "beside the plot area");
  assert.ok(ctx.find("fillText").some((t) => t.text === "norm"));
});

test("a named mask shows in the legend as a swatch of its colour, outlined in grey; an unnamed one not", () => {
  // A flow's losses without a target: blanked in the empty cells' colour, near the legend's white.
  const blank = (label) => panel([mark.Mask({ where: grid(u8(1, 1, 0, 0), [2, 2]), extent: f32(0, 10, 0, 1),
    color: "#eeeeee", alpha: 1, label })], { legend: "lower right" });
  const ctx = new FakeContext();
  drawPanel(ctx, blank("no loss at this step"), box, sizes(1), 1, plot.luts, { ...box });
  const [swatch] = ctx.find("fillRect").filter((o) => o.fillStyle === "#eeeeee");
  const [outline] = ctx.find("strokeRect").filter((o) => o.strokeStyle === "#9a9a9a");
  assert.equal(swatch.globalAlpha, 1);
  assert.deepEqual(outline.rect, swatch.rect);
  near([outline.lineWidth], [0.8 * PT], "outline of 0.8 points");
  const [entry] = ctx.find("fillText").filter((t) => t.text === "no loss at this step");
  assert.ok(entry.origin[0] + entry.x > swatch.rect[0] + swatch.rect[2], "the words right of the swatch");
  const unnamed = new FakeContext();
  drawPanel(unnamed, blank(null), box, sizes(1), 1, plot.luts, { ...box });
  assert.equal(unnamed.find("fillRect").filter((o) => o.fillStyle === "#eeeeee").length, 0);
  assert.equal(unnamed.find("strokeRect").filter((o) => o.strokeStyle === "#9a9a9a").length, 0);
});

test("a mark of a type figure.js cannot draw fails by its name", () => {
  assert.throws(() => drawPanel(new FakeContext(), panel([{ type: "Violin" }]), box, sizes(1), 1, plot.luts,
    { ...box }), /no drawer for a mark of type Violin/);
});
