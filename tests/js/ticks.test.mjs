// Ticks: round steps, where ticks fall on linear, integer, fixed, log and log2 axes, and how
// their labels read.
import { test } from "node:test";
import assert from "node:assert/strict";
import figure from "./figure.mjs";

const { niceStep, formatNumber, ticksOf } = figure;

const values = (ticks) => ticks.filter((t) => !t.minor).map((t) => t.v);
const labels = (ticks) => ticks.filter((t) => !t.minor).map((t) => t.label);

test("a nice step is 1, 2, 2.5 or 5 times a power of ten, at least the span over n", () => {
  assert.equal(niceStep(1, 4), 0.25);
  assert.equal(niceStep(10, 3), 5);
  assert.equal(niceStep(100, 10), 10);
  assert.equal(niceStep(7, 2), 5);
  assert.equal(niceStep(0.9, 2), 0.5);
});

test("numbers read with the decimals their step needs and a true minus sign", () => {
  assert.equal(formatNumber(0, 0.5), "0");
  assert.equal(formatNumber(0.5, 0.5), "0.5");
  assert.equal(formatNumber(0.25, 0.25), "0.25");
  assert.equal(formatNumber(1.5, 0.25), "1.5");
  assert.equal(formatNumber(-2, 1), "\u22122");
  assert.equal(formatNumber(40, 10), "40");
});

test("very large and very small numbers read in powers of ten", () => {
  assert.equal(formatNumber(123456, 1), "1.23e5");
  assert.equal(formatNumber(0.00002, 0.00001), "2e\u22125");
});

test("a linear axis gets about one tick per spacing, on round values inside its limits", () => {
  const ticks = ticksOf({ limits: [0, 1], scale: "linear" }, 200, 62);      // room for 3
  assert.deepEqual(values(ticks), [0, 0.5, 1]);
  assert.deepEqual(labels(ticks), ["0", "0.5", "1"]);
});

test("negative ticks read with a minus sign, zero as 0", () => {
  const ticks = ticksOf({ limits: [-1, 1], scale: "linear" }, 300, 62);     // room for 4
  assert.deepEqual(labels(ticks), ["\u22121", "\u22120.5", "0", "0.5", "1"]);
});

test("an axis running backwards has the same ticks", () => {
  const ticks = ticksOf({ limits: [10, 0], scale: "linear" }, 200, 62);
  assert.deepEqual(values(ticks), [0, 5, 10]);
});

test("an integer axis takes whole steps only", () => {
  const ticks = ticksOf({ limits: [0, 3], scale: "linear", integer: true }, 600, 62);
  assert.deepEqual(values(ticks), [0, 1, 2, 3]);
  assert.deepEqual(labels(ticks), ["0", "1", "2", "3"]);
});

test("fixed ticks keep those inside the limits, with their own labels", () => {
  const axis = { limits: [0, 3], scale: "linear", ticks: [-1, 0, 1.5, 3, 4],
    tick_labels: ["a", "b", "c", "d", "e"] };
  const ticks = ticksOf(axis, 300, 62);
  assert.deepEqual(values(ticks), [0, 1.5, 3]);
  assert.deepEqual(labels(ticks), ["b", "c", "d"]);
  assert.deepEqual(labels(ticksOf({ ...axis, ticks: [0, 2], tick_labels: null }, 300, 62)), ["0", "2"]);
});

test("a log axis labels each decade as a power of ten, with minor ticks 2 to 9 between", () => {
  const ticks = ticksOf({ limits: [1e-3, 1e2], scale: "log" }, 300, 28);
  assert.deepEqual(labels(ticks),
    ["$10^{\u22123}$", "$10^{\u22122}$", "$10^{\u22121}$", "$10^{0}$", "$10^{1}$", "$10^{2}$"]);
  const minor = ticks.filter((t) => t.minor);
  assert.equal(minor.length, 5 * 8);
  assert.ok(minor.every((t) => t.label === "" && t.v > 1e-3 && t.v < 1e2));
  assert.ok(minor.some((t) => Math.abs(t.v - 0.002) < 1e-15));
});

test("a log axis of many decades labels every few, and has no minor ticks", () => {
  const ticks = ticksOf({ limits: [1e-12, 1e12], scale: "log" }, 100, 28);    // room for 3
  assert.deepEqual(labels(ticks), ["$10^{\u221212}$", "$10^{\u22123}$", "$10^{6}$"]);
  assert.equal(ticks.filter((t) => t.minor).length, 0);
});

test("a log axis shorter than a decade gets plain numbers", () => {
  const ticks = ticksOf({ limits: [2, 8], scale: "log" }, 300, 62);
  assert.deepEqual(labels(ticks), ["2", "4", "6", "8"]);
});

test("a log2 axis labels powers of two, every other one when they crowd", () => {
  const ticks = ticksOf({ limits: [1, 1024], scale: "log2" }, 300, 28);     // room for 10 of 11
  assert.deepEqual(values(ticks), [1, 4, 16, 64, 256, 1024]);
  assert.equal(labels(ticks)[1], "$2^{2}$");
});
