// The page's layout of figure records, for tests/test_label_overlap.py: reads
// {"glyphs": {character: advance in ems}, "records": [{"spec", "arrays": {ref: base64}}]} on
// stdin and writes, for each record, each panel's plot area and legend box in CSS pixels at
// z = 1, as figure.js lays them out (drawFigure's grid, drawPanel), with type as wide as the
// glyph table says (DejaVu Sans, the page's first font).
import { readFileSync } from "node:fs";
import figure from "./figure.mjs";
import { FakeContext } from "./fake_context.mjs";

const { arrayStore, keepArray, resolve, drawPanel, sizes } = figure;
const input = JSON.parse(readFileSync(0, "utf8"));

class GlyphContext extends FakeContext {
  measureText(text) {
    const px = Number(/([\d.]+)px/.exec(this.font)[1]);
    let ems = 0;
    for (const ch of String(text)) ems += input.glyphs[ch] ?? 1.0;
    return { width: ems * px };
  }
}

const luts = () => new Uint8Array(768);
const out = input.records.map(({ spec, arrays }) => {
  const store = arrayStore();
  for (const [ref, b64] of Object.entries(arrays)) {
    keepArray(store, ref, new Uint8Array(Buffer.from(b64, "base64")));
  }
  const fig = resolve(store, spec);
  const S = sizes(1);
  const top = fig.title ? S.title * 1.6 : 0;
  const sum = (a) => a.reduce((x, y) => x + y, 0);
  const rowY = [top];
  const rowH = (fig.height - top) / sum(fig.rows);
  fig.rows.forEach((r) => rowY.push(rowY[rowY.length - 1] + rowH * r));
  const colX = [0];
  fig.cols.forEach((c) => colX.push(colX[colX.length - 1] + (fig.width * c) / sum(fig.cols)));
  return fig.panels.map((p) => {
    if (p.inset) return null;
    const [r, c, rs, cs] = p.cell;
    const cell = { x: colX[c], y: rowY[r], w: colX[c + cs] - colX[c], h: rowY[r + rs] - rowY[r] };
    const ctx = new GlyphContext();
    const area = drawPanel(ctx, p, cell, S, 1, luts);
    const fill = ctx.find("fill").find((o) => o.fillStyle === "rgba(255,255,255,0.85)");
    const legend = fill ? fill.path[0] : null;
    const size = legend && [legend[1][0] - legend[0][0], legend[2][1] - legend[1][1]];
    return { area: [area.w, area.h], legend: size };
  });
});
process.stdout.write(JSON.stringify(out));
