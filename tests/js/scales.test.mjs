// Scales: data to CSS pixels and back, on linear, log and log2 axes, either way round.
import { test } from "node:test";
import assert from "node:assert/strict";
import figure from "./figure.mjs";

const { makeScale, invert } = figure;

test("a linear scale maps the limits to the ends and a quarter to a quarter", () => {
  const s = makeScale({ limits: [0, 10], scale: "linear" }, 100, 300);
  assert.equal(s.map(0), 100);
  assert.equal(s.map(10), 300);
  assert.equal(s.map(2.5), 150);
  assert.equal(s.map(-5), 0);              // beyond the limits: beyond the ends, not clamped
});

test("a y scale runs up the page: its start at the bottom pixel", () => {
  const s = makeScale({ limits: [0, 1], scale: "linear" }, 200, 0);
  assert.equal(s.map(0), 200);
  assert.equal(s.map(0.25), 150);
  assert.equal(s.map(1), 0);
});

test("limits given backwards run the axis backwards (update 0 at the top)", () => {
  const s = makeScale({ limits: [10, 0], scale: "linear" }, 0, 100);
  assert.equal(s.map(10), 0);
  assert.equal(s.map(2.5), 75);
  assert.deepEqual([s.lo, s.hi], [0, 10]);
});

test("a log scale gives each decade the same length and no place to zero or less", () => {
  const s = makeScale({ limits: [1e-3, 1e2], scale: "log" }, 0, 500);
  assert.equal(s.map(1e-3), 0);
  assert.equal(s.map(1), 300);
  assert.ok(Math.abs(s.map(10) - 400) < 1e-9);
  assert.ok(Number.isNaN(s.map(0)));
  assert.ok(Number.isNaN(s.map(-1)));
});

test("a log2 scale gives each doubling the same length", () => {
  const s = makeScale({ limits: [1, 1024], scale: "log2" }, 0, 100);
  assert.equal(s.map(32), 50);
  assert.equal(s.map(2), 10);
});

test("limits of no width still map to a finite pixel", () => {
  const s = makeScale({ limits: [3, 3], scale: "linear" }, 40, 90);
  assert.equal(s.map(3), 40);
});

test("invert gives back the data value at a pixel (a click)", () => {
  const lin = makeScale({ limits: [10, 0], scale: "linear" }, 0, 100);
  assert.equal(invert(lin, 75), 2.5);
  const log = makeScale({ limits: [1e-3, 1e2], scale: "log" }, 0, 500);
  assert.ok(Math.abs(invert(log, 350) - Math.sqrt(10)) < 1e-12);
  const log2 = makeScale({ limits: [1, 1024], scale: "log2" }, 0, 100);
  assert.ok(Math.abs(invert(log2, 50) - 32) < 1e-12);
});
