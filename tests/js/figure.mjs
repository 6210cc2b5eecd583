// figure.js loaded as anywidget loads it: one module from a URL of its own text (anywidget makes
// a blob URL, node takes a data: URL). An import of a sibling file, or a touch of `document` or
// `window` while the module loads, fails every test that imports this.
import { readFileSync } from "node:fs";

const source = readFileSync(new URL("../../bpttviz/app/live/figure.js", import.meta.url));
const figure = await import(`data:text/javascript;base64,${source.toString("base64")}`);

export default figure;

// The colour maps Matplotlib's renderer uses (bpttviz/figures/colormaps.json): name -> 768 bytes.
const shipped = JSON.parse(readFileSync(new URL("../../bpttviz/figures/colormaps.json", import.meta.url)));
export const COLORMAPS = Object.fromEntries(Object.entries(shipped.colormaps)
  .map(([name, hex]) => [name, new Uint8Array(Buffer.from(hex, "hex"))]));

// Pixels per point at 100 dpi: a mark's width of 1 point is 100 / 72 pixels.
export const PT = 100 / 72;
