// Colour: how a heatmap's values pick a colour of the colour map Matplotlib uses for the same
// record (bpttviz/figures/colormaps.json), and how colours are read from a record.
import { test } from "node:test";
import assert from "node:assert/strict";
import figure, { COLORMAPS } from "./figure.mjs";

const { colourIndex, colourMapper, greyLut, hexBytes, rgba, colourOf } = figure;

const linear = { norm: "linear", vmin: 0, vmax: 1, bad: "#eeeeee", over: null };

test("a linear norm puts vmin in the first bin, vmax in the last, the middle in bin 128", () => {
  assert.equal(colourIndex(linear, 0), 0);
  assert.equal(colourIndex(linear, 1), 255);
  assert.equal(colourIndex(linear, 0.5), 128);
  assert.equal(colourIndex(linear, 0.999), 255);
  assert.equal(colourIndex(linear, -3), 0);            // below: the first colour
  assert.equal(colourIndex(linear, 3), 255);           // above with no over colour: the last
});

test("NaN is bad; infinity is over, minus infinity bad; above vmax is over when it has a colour", () => {
  assert.equal(colourIndex(linear, NaN), -1);
  assert.equal(colourIndex(linear, Infinity), 256);
  assert.equal(colourIndex(linear, -Infinity), -1);
  assert.equal(colourIndex({ ...linear, over: "#D55E00" }, 3), 256);
});

test("a log norm cuts decades evenly and has no colour for zero or less", () => {
  const log = { norm: "log", vmin: 1e-4, vmax: 1 };
  assert.equal(colourIndex(log, 1e-2), 128);
  assert.equal(colourIndex(log, 1e-4), 0);
  assert.equal(colourIndex(log, 0), -1);
  assert.equal(colourIndex(log, -1), -1);
});

test("a centred norm puts zero in the middle of -vmax..vmax", () => {
  const centred = { norm: "centered", vmin: 0, vmax: 8 };
  assert.equal(colourIndex(centred, 0), 128);
  assert.equal(colourIndex(centred, -8), 0);
  assert.equal(colourIndex(centred, 8), 255);
  assert.equal(colourIndex(centred, 4), 192);
});

test("viridis from the shipped table: its ends and its middle colour", () => {
  const lut = COLORMAPS.viridis;
  const colour = colourMapper(linear, lut);
  assert.deepEqual(colour(0), [68, 1, 84, 255]);          // #440154
  assert.deepEqual(colour(1), [253, 231, 37, 255]);       // #fde725
  assert.deepEqual(colour(0.5), [33, 145, 140, 255]);
  assert.deepEqual(colour(0.5), [...lut.slice(3 * 128, 3 * 128 + 3), 255]);
});

test("PuOr centred: zero gets the table's middle colour, the ends its ends", () => {
  const lut = COLORMAPS.PuOr;
  const colour = colourMapper({ norm: "centered", vmin: 0, vmax: 2, bad: "#eeeeee" }, lut);
  assert.deepEqual(colour(0), [246, 246, 247, 255]);
  assert.deepEqual(colour(-2), [127, 59, 8, 255]);
  assert.deepEqual(colour(2), [45, 0, 75, 255]);
});

test("bad values take the bad colour, overflows the over colour (black without one)", () => {
  const colour = colourMapper({ ...linear, over: "#D55E00" }, COLORMAPS.viridis);
  assert.deepEqual(colour(NaN), [238, 238, 238, 255]);
  assert.deepEqual(colour(Infinity), [213, 94, 0, 255]);
  assert.deepEqual(colourMapper(linear, COLORMAPS.viridis)(Infinity), [0, 0, 0, 255]);
});

test("the grey colour map, used until a figure's own arrives, runs from black to white", () => {
  const grey = greyLut();
  assert.equal(grey.length, 768);
  assert.deepEqual([...grey.slice(0, 3)], [0, 0, 0]);
  assert.deepEqual([...grey.slice(3 * 128, 3 * 128 + 3)], [128, 128, 128]);
  assert.deepEqual([...grey.slice(765)], [255, 255, 255]);
});

test("colours read from a record: hex with alpha, one for all, or one per item as bytes", () => {
  assert.deepEqual(hexBytes("#11223380"), [17, 34, 51, 128]);
  assert.deepEqual(hexBytes("#112233"), [17, 34, 51, 255]);
  assert.equal(rgba("#ff0000", 0.5), "rgba(255,0,0,0.5)");
  assert.equal(rgba(null), "rgba(0,0,0,0)");
  assert.equal(colourOf("#123456", 3), "#123456");
  assert.equal(colourOf(Uint8Array.of(255, 0, 0, 255, 0, 0, 255, 51), 1), "rgba(0,0,255,0.2)");
  assert.equal(colourOf(["#aa0000", "#00bb00"], 1), "#00bb00");
  assert.equal(colourOf(null, 0), null);
});
