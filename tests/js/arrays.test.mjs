// Arrays: the typed arrays figure.js rebuilds from the descriptors and bytes encode.py writes
// ({ref, dtype, shape}, or {chunks, dtype, shape} for a curve that grew), by hand and from
// fixtures/encoded.json (written by encode.py; tests/app/test_live_encode.py keeps it current).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import figure from "./figure.mjs";

const { arrayStore, keepArray, decodeArray, missingRefs, resolve } = figure;

const bytes = (typedArray) => new Uint8Array(typedArray.buffer.slice(0));

test("an array is its bytes read as its dtype, with its shape", () => {
  const store = arrayStore();
  keepArray(store, "a", bytes(Float32Array.of(1, 0.5, NaN, 0.25)));
  keepArray(store, "b", bytes(Uint8Array.of(1, 0, 1, 0, 1, 0)));
  keepArray(store, "c", bytes(Float64Array.of(1e-200, -3)));
  const a = decodeArray(store, { ref: "a", dtype: "f4", shape: [4] });
  assert.ok(a instanceof Float32Array);
  assert.deepEqual([...a], [1, 0.5, NaN, 0.25]);
  assert.deepEqual(a.shape, [4]);
  const b = decodeArray(store, { ref: "b", dtype: "u1", shape: [2, 3] });
  assert.ok(b instanceof Uint8Array);
  assert.deepEqual(b.shape, [2, 3]);
  assert.equal(b[1 * 3 + 1], 1);                       // row 1, column 1: row-major
  assert.deepEqual([...decodeArray(store, { ref: "c", dtype: "f8", shape: [2] })], [1e-200, -3]);
  assert.equal(store.bytes, 16 + 6 + 16);
});

test("bytes that do not start on an element's boundary are copied, not misread", () => {
  const store = arrayStore();
  const raw = new Uint8Array(9);
  raw.set(bytes(Float64Array.of(2.5)), 1);
  keepArray(store, "odd", new DataView(raw.buffer, 1, 8));
  assert.deepEqual([...decodeArray(store, { ref: "odd", dtype: "f8", shape: [1] })], [2.5]);
});

test("a grown array is its pieces joined, once; a missing piece leaves it undefined", () => {
  const store = arrayStore();
  keepArray(store, "head", bytes(Int32Array.of(1, 2, 3)));
  const desc = { chunks: [{ ref: "head", dtype: "i4", shape: [3] }, { ref: "tail", dtype: "i4", shape: [2] }],
    dtype: "i4", shape: [5] };
  assert.equal(decodeArray(store, desc), undefined);
  assert.deepEqual(missingRefs(store, { marks: [{ y: desc }] }), ["tail"]);
  keepArray(store, "tail", bytes(Int32Array.of(4, 5)));
  const joined = decodeArray(store, desc);
  assert.deepEqual([...joined], [1, 2, 3, 4, 5]);
  assert.deepEqual(joined.shape, [5]);
  assert.equal(decodeArray(store, desc), joined);     // joined once, then kept
});

test("what is not an array descriptor passes through", () => {
  const store = arrayStore();
  assert.equal(decodeArray(store, null), null);
  assert.equal(decodeArray(store, 3), 3);
  assert.deepEqual(resolve(store, { type: "Rule", value: 2, label: null }), { type: "Rule", value: 2, label: null });
});

// --- what encode.py writes ---------------------------------------------------------------------
const fixture = JSON.parse(readFileSync(new URL("fixtures/encoded.json", import.meta.url)));

function storeOf(arrays) {
  const store = arrayStore();
  // Copied into buffers of their own: each starts on an element's boundary, as the page's do.
  for (const [ref, b64] of Object.entries(arrays)) keepArray(store, ref, new Uint8Array(Buffer.from(b64, "base64")));
  return store;
}

test("a record from encode.py decodes to its numbers: float32, float64, colours, a heatmap, a mask", () => {
  const store = storeOf(fixture.arrays);
  const [spec] = fixture.specs;
  assert.deepEqual(missingRefs(store, spec), []);
  const [line, tiny, points, heat, mask] = resolve(store, spec).panels[0].marks;
  assert.equal(line.type, "Line");
  assert.ok(line.y instanceof Float32Array);
  assert.deepEqual([...line.x], [0, 1, 2, 3]);
  assert.deepEqual([...line.y], [1, 0.5, NaN, 0.25]);
  assert.ok(tiny.y instanceof Float64Array);              // 1e-200 does not fit float32
  assert.deepEqual([...tiny.y], [1e-200, 2e-200, 3e-200, 4e-200]);
  assert.deepEqual([...points.color], [255, 0, 0, 255, 0, 0, 255, 255]);
  assert.deepEqual(points.color.shape, [2, 4]);
  assert.deepEqual(heat.values.shape, [2, 3]);
  assert.deepEqual([...heat.values], [0, 1, 2, 3, NaN, Infinity]);
  assert.deepEqual([...heat.extent], [0, 3, 0, 2]);
  assert.deepEqual([...mask.where], [1, 0, 1, 0, 1, 0]);
  assert.equal(resolve(store, spec).luts.viridis.length, 768);
});

test("the grown record names its curve as the earlier array and a tail of two points", () => {
  const [first, second] = fixture.specs;
  const y = second.panels[0].marks[0].y;
  assert.equal(y.chunks.length, 2);
  assert.equal(y.chunks[0].ref, first.panels[0].marks[0].y.ref);
  const store = storeOf(fixture.arrays);
  const line = resolve(store, second).panels[0].marks[0];
  assert.deepEqual([...line.y], [1, 0.5, NaN, 0.25, 0.125, 0.0625]);
  assert.deepEqual([...line.x], [0, 1, 2, 3, 4, 5]);
});
