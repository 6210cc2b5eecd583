// bpttviz live figure: draws a figure record (bpttviz/figures/record.py) on a canvas.
//
// The kernel sends the record as JSON (`spec`) whose arrays are references to
// binary buffers; the buffers travel once each, in custom messages, and are
// kept by content (a reference is a hash of the bytes), so a move that changes
// one array sends one array. A view that misses a buffer asks for it.
// Nothing here knows about lessons: it draws axes, marks, legends and colour bars.
//
// One ES module: anywidget loads it from a blob URL, where it could not import a sibling file.
// Its parts, in order: arrays (what encode.py sends, decoded), text, scales, ticks, colour,
// marks (one drawer per mark type, all in DRAWERS), layout (a panel's axes, frame, legend and
// colour bar around its marks), saving (the row of save buttons under a figure), the widget.
// The pure parts are named exports, for the unit tests in tests/js; nothing here touches the
// page before a view is rendered.

const FONT = '"DejaVu Sans", "Bitstream Vera Sans", Verdana, Arial, sans-serif';
const PT = 100 / 72;               // pixels per point at 100 dpi, as the Matplotlib renderer
const MATH_NAMES = {
  tanh: "tanh", sigma: "σ", tau: "τ", gamma: "γ", rho: "ρ", lambda: "λ", delta: "δ",
  partial: "∂", sum: "Σ", infty: "∞", cdot: "·", times: "×", leq: "≤", geq: "≥",
  mathrm: "", max: "max", min: "min", Sigma: "Σ", phi: "φ", alpha: "α", beta: "β",
};
const DTYPES = {
  f8: Float64Array, f4: Float32Array, i4: Int32Array, u1: Uint8Array, i2: Int16Array,
  u2: Uint16Array, i1: Int8Array, u4: Uint32Array,
};

// ---------------------------------------------------------------- arrays ---

// Arrays by reference, shared by every view of the model; the least recently used leave once
// they pass this many bytes (the arrays a figure shows now are always the most recent).
const STORE_BYTES = 16 * 1024 * 1024;

export function arrayStore() {
  // The arrays a page holds: bytes by reference (least recently used first), arrays joined from
  // chunks, the references asked for and the redraws waiting for them.
  return { arrays: new Map(), joined: new Map(), bytes: 0, asked: new Set(), waiting: new Set() };
}

export function keepArray(store, ref, b) {
  // Keeps the bytes of array `ref` (a DataView, an ArrayBuffer or a typed array).
  const view = b instanceof DataView ? b : new DataView(b.buffer || b, b.byteOffset || 0, b.byteLength);
  if (!store.arrays.has(ref)) store.bytes += view.byteLength;
  store.arrays.set(ref, view);
  store.asked.delete(ref);
}

function trimStore(store) {
  while (store.bytes > STORE_BYTES && store.arrays.size > 1) {
    const [oldest, view] = store.arrays.entries().next().value;
    store.arrays.delete(oldest);
    store.bytes -= view.byteLength;
  }
}

function makeStore(model) {
  const store = arrayStore();
  // New arrays come with the state that names them; arrays asked for come in a custom message.
  store.ingest = () => {
    for (const [ref, b] of Object.entries(model.get("arrays") || {})) {
      if (!store.arrays.has(ref)) keepArray(store, ref, b);
    }
    trimStore(store);
  };
  model.on("change:arrays", store.ingest);
  model.on("msg:custom", (msg, buffers) => {
    if (!msg || msg.type !== "arrays") return;
    msg.refs.forEach((ref, i) => keepArray(store, ref, buffers[i]));
    trimStore(store);
    for (const redraw of [...store.waiting]) redraw();
  });
  return store;
}

export function decodeArray(store, desc) {
  // The typed array a descriptor names ({ref, dtype, shape} or {chunks, dtype, shape}),
  // or undefined while a piece is missing.
  if (desc === null || desc === undefined || typeof desc !== "object") return desc;
  const T = DTYPES[desc.dtype];
  if ("chunks" in desc) {
    const key = desc.chunks.map((c) => c.ref).join(",");
    const known = store.joined.get(key);
    if (known) return known;
    const parts = desc.chunks.map((c) => decodeArray(store, c));
    if (parts.some((p) => p === undefined)) return undefined;
    const out = new T(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) { out.set(p, o); o += p.length; }
    out.shape = desc.shape;
    store.joined.set(key, out);
    if (store.joined.size > 32) store.joined.delete(store.joined.keys().next().value);
    return out;
  }
  const view = store.arrays.get(desc.ref);
  if (!view) return undefined;
  store.arrays.delete(desc.ref);            // most recently used last
  store.arrays.set(desc.ref, view);
  const n = view.byteLength / T.BYTES_PER_ELEMENT;
  const out = view.byteOffset % T.BYTES_PER_ELEMENT === 0
    ? new T(view.buffer, view.byteOffset, n)
    : new T(view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength));
  out.shape = desc.shape;
  return out;
}

function isArrayDesc(node) {
  return node && typeof node === "object" && "dtype" in node && ("ref" in node || "chunks" in node);
}

export function missingRefs(store, node, out = []) {
  if (Array.isArray(node)) {
    node.forEach((v) => missingRefs(store, v, out));
  } else if (isArrayDesc(node)) {
    for (const piece of node.chunks || [node]) if (!store.arrays.has(piece.ref)) out.push(piece.ref);
  } else if (node && typeof node === "object") {
    Object.values(node).forEach((v) => missingRefs(store, v, out));
  }
  return out;
}

export function resolve(store, node) {
  // A copy of the spec with every array descriptor replaced by its typed array.
  if (Array.isArray(node)) return node.map((v) => resolve(store, v));
  if (node && typeof node === "object") {
    if (isArrayDesc(node)) return decodeArray(store, node);
    const out = {};
    for (const [k, v] of Object.entries(node)) out[k] = resolve(store, v);
    return out;
  }
  return node;
}

// ------------------------------------------------------------------ text ---

function mathRuns(text) {
  // Matplotlib's math subset: runs of {s, italic, shift (-1 sub, +1 sup)}.
  const runs = [];
  const parts = String(text).split("$");
  parts.forEach((part, i) => {
    if (i % 2 === 0) {
      if (part) runs.push({ s: part, italic: false, shift: 0 });
      return;
    }
    let j = 0;
    const push = (s, italic, shift) => { if (s) runs.push({ s, italic, shift }); };
    const group = (k) => {
      // The text of a {...} group or a single token starting at k; returns [text, next].
      if (part[k] === "{") {
        let depth = 0;
        for (let m = k; m < part.length; m++) {
          if (part[m] === "{") depth++;
          else if (part[m] === "}" && --depth === 0) return [part.slice(k + 1, m), m + 1];
        }
        return [part.slice(k + 1), part.length];
      }
      if (part[k] === "\\") {
        const m = /^\\([A-Za-z]+)/.exec(part.slice(k));
        if (m) return [MATH_NAMES[m[1]] ?? m[1], k + m[0].length];
      }
      return [part[k] ?? "", k + 1];
    };
    const plain = (s) => s.replace(/\\([A-Za-z]+)\s*/g, (_, n) => MATH_NAMES[n] ?? n)
      .replace(/[{}]/g, "");
    while (j < part.length) {
      const c = part[j];
      if (c === "_" || c === "^") {
        const [g, next] = group(j + 1);
        push(plain(g), /^[A-Za-z]$/.test(g), c === "_" ? -1 : 1);
        j = next;
      } else if (c === "\\") {
        const m = /^\\([A-Za-z]+)\s*/.exec(part.slice(j));
        if (m && m[1] === "mathrm") {
          const [g, next] = group(j + m[0].length);
          push(plain(g), false, 0);
          j = next;
        } else if (m) {
          push(MATH_NAMES[m[1]] ?? m[1], false, 0);
          j += m[0].length;
        } else {
          push(part[j + 1] || "", false, 0);
          j += 2;
        }
      } else if (c === "{" || c === "}") {
        j++;
      } else {
        let k = j;
        while (k < part.length && !"_^\\{}".includes(part[k])) k++;
        const s = part.slice(j, k);
        // Letters in math are italic, digits and signs upright (as mathtext).
        s.split(/([A-Za-z]+)/).forEach((piece) => {
          if (piece) push(piece, /^[A-Za-z]+$/.test(piece) && piece.length === 1, 0);
        });
        j = k;
      }
    }
  });
  return runs;
}

function font(size, italic = false, bold = false) {
  return `${italic ? "italic " : ""}${bold ? "bold " : ""}${size}px ${FONT}`;
}

function textWidth(ctx, text, size, bold = false) {
  let w = 0;
  for (const r of mathRuns(text)) {
    ctx.font = font(r.shift ? size * 0.7 : size, r.italic, bold);
    w += ctx.measureText(r.s).width;
  }
  return w;
}

function drawText(ctx, text, x, y, size, { ha = "left", va = "center", color = "#000", bold = false,
  rotate = 0, box = false, edge = null } = {}) {
  // Text with sub- and superscripts; (x, y) is the anchor given by ha and va.
  const w = textWidth(ctx, text, size, bold);
  const h = size * 1.15;
  ctx.save();
  ctx.translate(x, y);
  if (rotate) ctx.rotate(rotate);
  let x0 = ha === "center" ? -w / 2 : ha === "right" ? -w : 0;
  const base = va === "top" ? size * 0.9 : va === "bottom" ? -size * 0.25 : size * 0.35;
  if (box) {
    ctx.fillStyle = edge ? "#fff" : "rgba(255,255,255,0.8)";
    ctx.fillRect(x0 - 2, base - size * 0.95, w + 4, h + 2);
    if (edge) {
      ctx.strokeStyle = edge;
      ctx.lineWidth = 1.5;
      ctx.strokeRect(x0 - 3, base - size * 0.95 - 1, w + 6, h + 4);
    }
  }
  ctx.fillStyle = color;
  ctx.textBaseline = "alphabetic";
  for (const r of mathRuns(text)) {
    const s = r.shift ? size * 0.7 : size;
    ctx.font = font(s, r.italic, bold);
    const dy = r.shift < 0 ? size * 0.25 : r.shift > 0 ? -size * 0.4 : 0;
    ctx.fillText(r.s, x0, base + dy);
    x0 += ctx.measureText(r.s).width;
  }
  ctx.restore();
  return w;
}

// ---------------------------------------------------------------- scales ---

export function makeScale(axis, p0, p1) {
  // Maps data to pixels from p0 (at limits[0]) to p1 (at limits[1]).
  const [a, b] = axis.limits;
  const kind = axis.scale;
  const f = kind === "log" ? (v) => (v > 0 ? Math.log10(v) : NaN)
    : kind === "log2" ? (v) => (v > 0 ? Math.log2(v) : NaN) : (v) => v;
  const fa = f(a);
  const fb = f(b);
  const k = (p1 - p0) / (fb - fa || 1);
  const map = (v) => p0 + (f(v) - fa) * k;
  return { map, f, kind, a, k, lo: Math.min(a, b), hi: Math.max(a, b), p0, p1 };
}

export function invert(scale, p) {
  // The data value at pixel p of a scale made by makeScale.
  const u = (p - scale.p0) / scale.k + scale.f(scale.a);
  return scale.kind === "log" ? 10 ** u : scale.kind === "log2" ? 2 ** u : u;
}

// ----------------------------------------------------------------- ticks ---

export function niceStep(span, n) {
  // The round step (1, 2, 2.5 or 5 times a power of ten) that cuts span in about n.
  const raw = span / Math.max(n, 1);
  const mag = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * mag >= raw * 0.999) return m * mag;
  return 10 * mag;
}

export function formatNumber(v, step) {
  // A tick label: as many decimals as the step needs, a true minus sign, 1e5 and 1e−4 beyond.
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-4) {
    const e = Math.floor(Math.log10(a));
    const m = v / 10 ** e;
    return `${+m.toFixed(2)}e${e}`.replace(/-/g, "−");
  }
  const decimals = Math.max(0, Math.min(6, -Math.floor(Math.log10(step) + 1e-9)));
  const s = v.toFixed(step % 1 === 0 ? 0 : decimals + (String(step).includes("25") ? 1 : 0));
  const t = s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s;
  return t.replace("-", "−");
}

export function ticksOf(axis, lengthPx, spacingPx) {
  // [{v, label, minor}] inside the limits, about one per spacingPx of the axis' lengthPx.
  const [a, b] = axis.limits;
  const lo = Math.min(a, b);
  const hi = Math.max(a, b);
  const want = Math.max(2, Math.floor(lengthPx / spacingPx));
  const out = [];
  if (axis.ticks) {
    axis.ticks.forEach((v, i) => {
      if (v >= lo - 1e-9 * Math.abs(hi - lo) && v <= hi + 1e-9 * Math.abs(hi - lo)) {
        out.push({ v, label: axis.tick_labels ? axis.tick_labels[i] : formatNumber(v, 1) });
      }
    });
    return out;
  }
  if (axis.scale === "log" || axis.scale === "log2") {
    const base = axis.scale === "log" ? 10 : 2;
    const e0 = Math.ceil(Math.log(lo) / Math.log(base) - 1e-9);
    const e1 = Math.floor(Math.log(hi) / Math.log(base) + 1e-9);
    const n = e1 - e0 + 1;
    const every = Math.max(1, Math.ceil(n / want));
    for (let e = e0; e <= e1; e++) {
      if ((e - e0) % every === 0 || n === 1) {
        out.push({ v: base ** e, label: `$${base}^{${String(e).replace("-", "−")}}$` });
      }
    }
    if (base === 10 && every === 1 && n <= 6) {          // minor ticks 2..9 between decades
      for (let e = e0 - 1; e <= e1; e++) {
        for (let m = 2; m <= 9; m++) {
          const v = m * 10 ** e;
          if (v > lo && v < hi) out.push({ v, label: "", minor: true });
        }
      }
    }
    if (!out.some((t) => !t.minor)) {                    // less than a decade: plain numbers
      const step = niceStep(hi - lo, want);
      for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) {
        out.push({ v, label: formatNumber(v, step) });
      }
    }
    return out;
  }
  let step = niceStep(hi - lo, want);
  if (axis.integer) step = Math.max(1, Math.round(step));
  const first = Math.ceil(lo / step - 1e-9) * step;
  for (let v = first; v <= hi + step * 1e-9; v += step) {
    const r = Math.abs(v) < step * 1e-9 ? 0 : v;
    out.push({ v: r, label: formatNumber(r, step) });
  }
  return out;
}

// ---------------------------------------------------------------- colour ---

export function rgba(hex, alpha = 1) {
  if (!hex) return "rgba(0,0,0,0)";
  const h = hex.replace("#", "");
  const r = parseInt(h.slice(0, 2), 16);
  const g = parseInt(h.slice(2, 4), 16);
  const b = parseInt(h.slice(4, 6), 16);
  const a = h.length >= 8 ? parseInt(h.slice(6, 8), 16) / 255 : 1;
  return `rgba(${r},${g},${b},${a * alpha})`;
}

export function hexBytes(hex) {
  const h = (hex || "#00000000").replace("#", "");
  return [0, 2, 4].map((i) => parseInt(h.slice(i, i + 2), 16))
    .concat([h.length >= 8 ? parseInt(h.slice(6, 8), 16) : 255]);
}

export function colourOf(colors, i) {
  // One colour for all, or the i-th of a per-item list (strings or an (n, 4) uint8 array).
  if (colors === null || colors === undefined) return null;
  if (typeof colors === "string") return colors;
  if (colors instanceof Uint8Array) {
    const o = 4 * i;
    return `rgba(${colors[o]},${colors[o + 1]},${colors[o + 2]},${colors[o + 3] / 255})`;
  }
  return colors[i];
}

export function colourIndex(scale, v) {
  // Matplotlib's Normalize / LogNorm / centred norm, then the colour map's bins.
  // Returns a bin in [0, 255], -1 for bad, 256 for over.
  if (Number.isNaN(v)) return -1;
  if (!Number.isFinite(v)) return v > 0 ? 256 : -1;
  let x;
  if (scale.norm === "log") {
    if (v <= 0) return -1;
    x = (Math.log10(v) - Math.log10(scale.vmin)) / (Math.log10(scale.vmax) - Math.log10(scale.vmin));
  } else if (scale.norm === "centered") {
    x = 0.5 + 0.5 * v / (scale.vmax || 1);
  } else {
    x = (v - scale.vmin) / ((scale.vmax - scale.vmin) || 1);
  }
  if (x > 1) return scale.over ? 256 : 255;
  if (x < 0) return 0;
  return Math.min(255, Math.floor(x * 256));
}

export function colourMapper(scale, lut) {
  // A heatmap's colour of a value as [r, g, b, a] bytes: the colour map's (lut: its 256 colours,
  // 768 bytes), the scale's bad colour or its over colour.
  const bad = hexBytes(scale.bad);
  const over = hexBytes(scale.over || "#000000");
  return (v) => {
    const k = colourIndex(scale, v);
    return k < 0 ? bad : k > 255 ? over : [lut[3 * k], lut[3 * k + 1], lut[3 * k + 2], 255];
  };
}

export function greyLut() {
  // The colour map used while a figure's own has not arrived: 256 greys, black to white.
  const grey = new Uint8Array(768);
  for (let k = 0; k < 256; k++) grey.fill(k, 3 * k, 3 * k + 3);
  return grey;
}

// ---------------------------------------------------------------- marks ---

function dashOf(dash, width) {
  if (dash === "dashed") return [3.7 * width, 1.6 * width];
  if (dash === "dotted") return [1 * width, 1.65 * width];
  if (dash === "dashdot") return [6.4 * width, 1.6 * width, 1 * width, 1.6 * width];
  return [];
}

function markerPath(ctx, marker, x, y, d) {
  const r = d / 2;
  ctx.beginPath();
  if (marker === "s") {
    ctx.rect(x - r, y - r, d, d);
  } else if (marker === "v") {
    ctx.moveTo(x - r, y - r); ctx.lineTo(x + r, y - r); ctx.lineTo(x, y + r); ctx.closePath();
  } else if (marker === "^") {
    ctx.moveTo(x - r, y + r); ctx.lineTo(x + r, y + r); ctx.lineTo(x, y - r); ctx.closePath();
  } else if (marker === "D") {
    ctx.moveTo(x, y - r); ctx.lineTo(x + r * 0.8, y); ctx.lineTo(x, y + r);
    ctx.lineTo(x - r * 0.8, y); ctx.closePath();
  } else if (marker === "*") {
    for (let k = 0; k < 10; k++) {
      const a = -Math.PI / 2 + (k * Math.PI) / 5;
      const rr = k % 2 ? r * 0.38 : r;
      const px = x + rr * Math.cos(a);
      const py = y + rr * Math.sin(a);
      if (k) ctx.lineTo(px, py); else ctx.moveTo(px, py);
    }
    ctx.closePath();
  } else if (marker === "X") {
    const w = r * 0.35;
    const pts = [[-r, -r + w], [-r + w, -r], [0, -w], [r - w, -r], [r, -r + w], [w, 0], [r, r - w],
      [r - w, r], [0, w], [-r + w, r], [-r, r - w], [-w, 0]];
    pts.forEach(([px, py], k) => (k ? ctx.lineTo(x + px, y + py) : ctx.moveTo(x + px, y + py)));
    ctx.closePath();
  } else {
    ctx.arc(x, y, r, 0, 2 * Math.PI);
  }
}

function drawMarkers(ctx, xs, ys, sx, sy, m, z) {
  const n = xs.length;
  for (let i = 0; i < n; i++) {
    const px = sx.map(xs[i]);
    const py = sy.map(ys[i]);
    if (!Number.isFinite(px) || !Number.isFinite(py)) continue;
    const size = (typeof m.size === "number" ? m.size : m.size[i]) * PT * z;
    markerPath(ctx, m.marker || "o", px, py, size);
    const fill = colourOf(m.color, i);
    ctx.globalAlpha = m.alpha ?? 1;
    if (!m.hollow) {
      ctx.fillStyle = fill;
      ctx.fill();
    }
    const ew = typeof m.edge_width === "number" ? m.edge_width : m.edge_width[i];
    const edge = m.hollow ? fill : colourOf(m.edge, i);
    if (edge && (ew > 0 || m.hollow)) {
      ctx.lineWidth = (m.hollow ? Math.max(ew, 1.5) : ew) * PT * z;
      ctx.strokeStyle = edge;
      ctx.stroke();
    }
    ctx.globalAlpha = 1;
  }
}

function polyline(ctx, xs, ys, sx, sy) {
  let pen = false;
  ctx.beginPath();
  for (let i = 0; i < xs.length; i++) {
    const px = sx.map(xs[i]);
    const py = sy.map(ys[i]);
    if (Number.isFinite(px) && Number.isFinite(py)) {
      if (pen) ctx.lineTo(px, py); else ctx.moveTo(px, py);
      pen = true;
    } else {
      pen = false;
    }
  }
}

function cellImage(ctx, rows, cols, colourAt) {
  // A cols x rows image whose pixel (r, c) has colourAt(r, c) ([r, g, b, a] bytes, or null for
  // transparent); row 0 at the bottom, as the record's row 0 sits at the extent's y0.
  const img = ctx.createImageData(cols, rows);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const col = colourAt(r, c);
      if (!col) continue;
      const o = 4 * ((rows - 1 - r) * cols + c);
      img.data[o] = col[0]; img.data[o + 1] = col[1]; img.data[o + 2] = col[2]; img.data[o + 3] = col[3];
    }
  }
  return img;
}

function blitCells(ctx, img, extent, sx, sy) {
  // One pixel of img per cell, stretched over extent = [x0, x1, y0, y1] without smoothing. The
  // scratch canvas comes from the document of the canvas drawn on: none is needed before a draw.
  const tmp = ctx.canvas.ownerDocument.createElement("canvas");
  tmp.width = img.width;
  tmp.height = img.height;
  tmp.getContext("2d").putImageData(img, 0, 0);
  const [x0, x1, y0, y1] = extent;
  const px0 = sx.map(x0);
  const px1 = sx.map(x1);
  const py0 = sy.map(y0);
  const py1 = sy.map(y1);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(tmp, Math.min(px0, px1), Math.min(py0, py1), Math.abs(px1 - px0), Math.abs(py1 - py0));
}

// Each drawer draws one mark: drawer(ctx, mark, plot), where plot = {box, sx, sy, z, luts} is
// the panel's plot area in CSS pixels, the scales of the mark's x and y axes (its y2 axis' when
// the mark says so), the zoom of type and lines, and the colour maps by name.

function drawLine(ctx, m, { sx, sy, z }) {
  ctx.setLineDash(dashOf(m.dash, m.width * PT * z));
  ctx.lineJoin = "round";
  ctx.lineCap = "butt";
  if (m.halo) {
    polyline(ctx, m.x, m.y, sx, sy);
    ctx.strokeStyle = m.halo;
    ctx.lineWidth = (m.width + 1.8) * PT * z;
    ctx.stroke();
  }
  polyline(ctx, m.x, m.y, sx, sy);
  ctx.strokeStyle = m.color;
  ctx.lineWidth = m.width * PT * z;
  if (m.width > 0) ctx.stroke();
  ctx.setLineDash([]);
  if (m.marker) {
    drawMarkers(ctx, m.x, m.y, sx, sy, { marker: m.marker, size: m.marker_size, color: m.color,
      edge: m.halo, edge_width: m.halo ? 1 : 0 }, z);
  }
}

function drawBand(ctx, m, { sx, sy }) {
  // One polygon per run of finite values.
  const n = m.x.length;
  let i = 0;
  ctx.fillStyle = rgba(m.color, m.alpha);
  while (i < n) {
    while (i < n && !(Number.isFinite(sy.map(m.low[i])) && Number.isFinite(sy.map(m.high[i])))) i++;
    const start = i;
    while (i < n && Number.isFinite(sy.map(m.low[i])) && Number.isFinite(sy.map(m.high[i]))) i++;
    if (i - start < 1) continue;
    ctx.beginPath();
    for (let k = start; k < i; k++) ctx.lineTo(sx.map(m.x[k]), sy.map(m.high[k]));
    for (let k = i - 1; k >= start; k--) ctx.lineTo(sx.map(m.x[k]), sy.map(m.low[k]));
    ctx.closePath();
    ctx.fill();
  }
}

function drawPoints(ctx, m, { sx, sy, z }) {
  drawMarkers(ctx, m.x, m.y, sx, sy, m, z);
}

function spanAt(m, i, sx, sy) {
  // Item i of a mark that spans (x0, y0) to (x1, y1), as [x0, y0, x1, y1] in pixels; null when a
  // corner has no place on the axes (NaN, or not above zero on a log axis).
  const p = [sx.map(m.x0[i]), sy.map(m.y0[i]), sx.map(m.x1[i]), sy.map(m.y1[i])];
  return p.every(Number.isFinite) ? p : null;
}

function drawRects(ctx, m, { sx, sy, z }) {
  for (let i = 0; i < m.x0.length; i++) {
    const span = spanAt(m, i, sx, sy);
    if (!span) continue;
    const [a, c, b, d] = span;
    ctx.globalAlpha = m.alpha;
    ctx.fillStyle = colourOf(m.color, i);
    ctx.fillRect(Math.min(a, b), Math.min(c, d), Math.abs(b - a), Math.abs(d - c));
    ctx.globalAlpha = 1;
    const edge = colourOf(m.edge, i);
    if (edge && m.edge_width > 0) {
      ctx.lineWidth = m.edge_width * PT * z;
      ctx.strokeStyle = edge;
      ctx.strokeRect(Math.min(a, b), Math.min(c, d), Math.abs(b - a), Math.abs(d - c));
    }
  }
}

function drawSegments(ctx, m, { sx, sy, z }) {
  for (let i = 0; i < m.x0.length; i++) {
    const span = spanAt(m, i, sx, sy);
    if (!span) continue;
    let [ax, ay, bx, by] = span;
    const w = (typeof m.width === "number" ? m.width : m.width[i]) * PT * z;
    if (m.shrink) {
      const len = Math.hypot(bx - ax, by - ay);
      const s = (m.shrink * PT * z) / (len || 1);
      if (2 * s >= 1) continue;
      [ax, ay, bx, by] = [ax + (bx - ax) * s, ay + (by - ay) * s, bx - (bx - ax) * s, by - (by - ay) * s];
    }
    const col = colourOf(m.color, i);
    ctx.strokeStyle = col;
    ctx.fillStyle = col;
    ctx.lineWidth = w;
    ctx.setLineDash(dashOf(m.dash, w));
    const head = m.arrow ? Math.max(8, 3 * w) * z : 0;
    const len = Math.hypot(bx - ax, by - ay) || 1;
    const ux = (bx - ax) / len;
    const uy = (by - ay) / len;
    ctx.beginPath();
    ctx.moveTo(ax, ay);
    ctx.lineTo(bx - ux * head * 0.8, by - uy * head * 0.8);
    ctx.stroke();
    ctx.setLineDash([]);
    if (m.arrow) {
      ctx.beginPath();
      ctx.moveTo(bx, by);
      ctx.lineTo(bx - ux * head - uy * head * 0.45, by - uy * head + ux * head * 0.45);
      ctx.lineTo(bx - ux * head + uy * head * 0.45, by - uy * head - ux * head * 0.45);
      ctx.closePath();
      ctx.fill();
    }
  }
}

function drawHeatmap(ctx, m, { sx, sy, luts }) {
  const [rows, cols] = m.values.shape;
  const colour = colourMapper(m.scale, luts(m.scale.cmap));
  blitCells(ctx, cellImage(ctx, rows, cols, (r, c) => colour(m.values[r * cols + c])), m.extent, sx, sy);
}

function drawMask(ctx, m, { sx, sy }) {
  const [rows, cols] = m.where.shape;
  const c = hexBytes(m.color);
  const cover = [c[0], c[1], c[2], Math.round(255 * m.alpha)];
  blitCells(ctx, cellImage(ctx, rows, cols, (r, q) => (m.where[r * cols + q] ? cover : null)),
    m.extent, sx, sy);
}

function drawRule(ctx, m, { box, sx, sy, z }) {
  const v = (m.axis === "x" ? sx : sy).map(m.value);
  if (!Number.isFinite(v)) return;
  ctx.strokeStyle = m.color;
  ctx.lineWidth = m.width * PT * z;
  ctx.setLineDash(dashOf(m.dash, m.width * PT * z));
  ctx.beginPath();
  if (m.axis === "x") { ctx.moveTo(v, box.y); ctx.lineTo(v, box.y + box.h); }
  else { ctx.moveTo(box.x, v); ctx.lineTo(box.x + box.w, v); }
  ctx.stroke();
  ctx.setLineDash([]);
}

function drawNote(ctx, m, { box, sx, sy, z }) {
  // A Text mark: its anchor in data or in panel fractions, moved by its offset in points.
  if (!m.text) return;
  const xAxes = m.coords === "axes" || m.coords === "y-data";
  const yAxes = m.coords === "axes" || m.coords === "x-data";
  const [ox, oy] = m.offset || [0, 0];
  const px = (xAxes ? box.x + m.x * box.w : sx.map(m.x)) + ox * PT * z;
  const py = (yAxes ? box.y + (1 - m.y) * box.h : sy.map(m.y)) - oy * PT * z;
  if (!Number.isFinite(px) || !Number.isFinite(py)) return;
  const lines = String(m.text).split("\n");
  const lh = m.size * PT * z * 1.25;
  const top = m.va === "top" ? 0 : m.va === "bottom" ? -(lines.length - 1) * lh : -(lines.length - 1) * lh / 2;
  lines.forEach((line, i) => drawText(ctx, line, px, py + top + i * lh, m.size * PT * z,
    { ha: m.ha, va: m.va, color: m.color, box: m.box || !!m.edge, edge: m.edge }));
}

// Every mark type of the records (bpttviz.figures.MARKS) and its drawer. A new mark type is a
// drawer here (tests/test_mark_table.py checks that each type has one).
export const DRAWERS = {
  Line: drawLine, Band: drawBand, Points: drawPoints, Rects: drawRects, Segments: drawSegments,
  Heatmap: drawHeatmap, Mask: drawMask, Rule: drawRule, Text: drawNote,
};

// Mark types drawn after all others and outside the plot area's clip: a note may stand beside
// the data, and stays readable over any mark.
const ABOVE_THE_CLIP = new Set(["Text"]);

function drawMark(ctx, mark, plot) {
  const draw = DRAWERS[mark.type];
  if (!draw) {
    throw new Error(`no drawer for a mark of type ${mark.type}; figure.js draws ${Object.keys(DRAWERS).join(", ")}`);
  }
  draw(ctx, mark, plot);
}

// ---------------------------------------------------------------- layout ---

export function sizes(z) {
  // Type in points, as the Matplotlib renderer sets it (bpttviz.plots.STYLE): the page's figure
  // reads as large as its download, and 11-point tick labels reach 18 px in projector mode.
  const t = PT * z;
  return { title: 13 * t, label: 12 * t, tick: 11 * t, legend: 9 * t, text: 10 * t, pad: 4 * z,
    tickLen: 3.5 * z, cbar: 12 * z };
}

function titleLayout(ctx, title, size, minSize, room) {
  // A title that fits its room: set smaller (down to minSize), then on two lines, split at a
  // space outside $...$ nearest the middle. Returns {size, lines}.
  const wide = textWidth(ctx, title, size);
  if (wide <= room) return { size, lines: [title] };
  const smaller = Math.max(Math.min(minSize, size), (size * room) / wide);
  if (textWidth(ctx, title, smaller) <= room) return { size: smaller, lines: [title] };
  let best = -1;
  let inMath = false;
  for (let i = 0; i < title.length; i++) {
    if (title[i] === "$") inMath = !inMath;
    if (title[i] === " " && !inMath && (best < 0 || Math.abs(i - title.length / 2) < Math.abs(best - title.length / 2))) best = i;
  }
  if (best < 0) return { size: smaller, lines: [title] };
  const lines = [title.slice(0, best).trim(), title.slice(best + 1).trim()];
  const widest = Math.max(...lines.map((l) => textWidth(ctx, l, size)));
  return { size: widest <= room ? size : Math.max(smaller, (size * room) / widest), lines };
}

function panelTitle(ctx, p, S, z, room) {
  const size = p.title_size ? p.title_size * PT * z : S.title;
  return titleLayout(ctx, p.title, size, S.tick, room);
}

function panelMargins(ctx, p, S, cell, z) {
  // Room needed around a panel's plot area for its title, ticks, labels and colour bar.
  const m = { left: S.pad * 2, right: S.pad * 3, top: S.pad * 2, bottom: S.pad * 2 };
  if (p.title) {
    const t = panelTitle(ctx, p, S, z, cell.w - 4);
    m.top = t.size * (1.25 * t.lines.length + 0.25) + S.pad;
  }
  const frame = p.frame !== false;
  const heat = colourbarOf(p);
  const estW = cell.w * 0.7;
  const estH = cell.h * 0.65;
  if (frame && p.y.visible !== false) {
    const w = widestTickLabel(ctx, p.y, estH, S, S.tick);
    m.left = S.pad + (p.y.label ? S.label * 1.3 : 0) + w + S.tickLen + S.pad * 1.5;
  }
  if (frame && p.x.visible !== false) {
    m.bottom = S.tickLen + S.tick * 1.4 + (p.x.label ? S.label * 1.4 : 0) + S.pad;
    // The last tick label may sit centred on the right edge: room for its half.
    const ticks = ticksOf(p.x, estW, 62 * S.tick / 11).filter((t) => !t.minor);
    if (ticks.length) {
      m.right = Math.max(m.right, textWidth(ctx, ticks[ticks.length - 1].label, S.tick) / 2 + S.pad);
    }
  }
  if (p.y2) {
    const w = widestTickLabel(ctx, p.y2, estH, S, S.tick);
    m.right = S.pad + (p.y2.label ? S.label * 1.3 : 0) + w + S.tickLen + S.pad * 1.5;
  }
  if (heat) {
    const w = widestTickLabel(ctx, scaleAxis(heat.scale), estH, S, S.tick * 0.9);
    m.right = S.pad * 2 + S.cbar + S.tickLen + S.pad + w + (heat.scale.label ? S.label * 1.3 : 0) + S.pad;
  }
  return m;
}

function widestTickLabel(ctx, axis, heightPx, S, size) {
  // The width of a vertical axis' widest major tick label, set in size.
  const ticks = ticksOf(axis, heightPx, 28 * S.tick / 11);
  return Math.max(0, ...ticks.filter((t) => !t.minor).map((t) => textWidth(ctx, t.label, size)));
}

function colourbarOf(p) {
  // The heatmap whose colour bar a panel shows beside its plot area, if any.
  return p.marks.find((k) => k.type === "Heatmap" && k.scale.colorbar);
}

function scaleAxis(scale) {
  if (scale.norm === "centered") return { limits: [-scale.vmax, scale.vmax], scale: "linear" };
  return { limits: [scale.vmin, scale.vmax], scale: scale.norm === "log" ? "log" : "linear" };
}

function drawAxisTicks(ctx, axis, scale, side, box, S, color) {
  const horizontal = side === "bottom" || side === "top";
  const length = horizontal ? box.w : box.h;
  const ticks = ticksOf(axis, length, horizontal ? 62 * S.tick / 11 : 28 * S.tick / 11);
  ctx.strokeStyle = "#000";
  ctx.lineWidth = 0.8 * S.tick / 11;
  let widest = 0;
  for (const t of ticks) {
    const p = scale.map(t.v);
    if (!Number.isFinite(p)) continue;
    const len = t.minor ? S.tickLen * 0.6 : S.tickLen;
    ctx.beginPath();
    if (side === "bottom") { ctx.moveTo(p, box.y + box.h); ctx.lineTo(p, box.y + box.h + len); }
    else if (side === "left") { ctx.moveTo(box.x, p); ctx.lineTo(box.x - len, p); }
    else if (side === "right") { ctx.moveTo(box.x + box.w, p); ctx.lineTo(box.x + box.w + len, p); }
    ctx.stroke();
    if (t.minor || !t.label) continue;
    if (side === "bottom") {
      drawText(ctx, t.label, p, box.y + box.h + S.tickLen + S.pad * 0.5, S.tick,
        { ha: "center", va: "top", color });
    } else if (side === "left") {
      widest = Math.max(widest, drawText(ctx, t.label, box.x - S.tickLen - S.pad * 0.5, p, S.tick,
        { ha: "right", va: "center", color }));
    } else {
      widest = Math.max(widest, drawText(ctx, t.label, box.x + box.w + S.tickLen + S.pad * 0.5, p,
        S.tick, { ha: "left", va: "center", color }));
    }
  }
  return widest;
}

function legendEntries(p) {
  const out = [];
  for (const m of p.marks) if (m.label && !m.label.startsWith("_")) out.push(m);
  return out;
}

// A legend's layout, in units of its type's size: Matplotlib's (bpttviz/figures/placement.py's
// LEGEND), so that the box the record's location was chosen for is the box drawn here.
export const LEGEND = { border_pad: 0.4, handle: 2.0, handle_pad: 0.8, row: 1.12, row_gap: 0.5,
  column_gap: 2.0, axes_pad: 0.5 };
// Where a legend goes inside the plot area: (fx, fy), 0 left or top. The record names one of
// these, or "outside right" (to the right of the plot area, its top at the area's top).
export const LEGEND_SPOTS = {
  "upper left": [0, 0], "upper right": [1, 0], "lower left": [0, 1], "lower right": [1, 1],
  "upper center": [0.5, 0], "lower center": [0.5, 1], "center left": [0, 0.5],
  "center right": [1, 0.5],
};
export const OUTSIDE = "outside right";

export function legendLayout(ctx, p, S0, room) {
  // The legend's size and its entries' places, filled column by column as Matplotlib fills
  // them; a legend wider than room is set smaller until it fits (a narrow figure keeps it
  // whole). Returns null when the panel shows no legend.
  const entries = legendEntries(p);
  if (!p.legend || !entries.length) return null;
  const cols = Math.max(1, p.legend_columns || 1);
  const rows = Math.ceil(entries.length / cols);
  const columns = [];
  for (let c = 0; c * rows < entries.length; c++) {
    columns.push(entries.slice(c * rows, (c + 1) * rows));
  }
  const widthAt = (f) => f * (2 * LEGEND.border_pad + LEGEND.column_gap * (columns.length - 1))
    + columns.reduce((a, col) => a + (LEGEND.handle + LEGEND.handle_pad) * f
      + Math.max(...col.map((e) => textWidth(ctx, e.label, f))), 0);
  let S = S0;
  const need = widthAt(S0.legend) + 2 * LEGEND.axes_pad * S0.legend;
  if (need > room) S = { ...S0, legend: S0.legend * Math.max(0.6, room / need) };
  const f = S.legend;
  const place = [];
  let x = LEGEND.border_pad * f;
  columns.forEach((col) => {
    col.forEach((e, r) => place.push({ e, x,
      y: (LEGEND.border_pad + r * (LEGEND.row + LEGEND.row_gap) + LEGEND.row / 2) * f }));
    x += (LEGEND.handle + LEGEND.handle_pad + LEGEND.column_gap) * f
      + Math.max(...col.map((e) => textWidth(ctx, e.label, f)));
  });
  return { S, w: widthAt(f), h: f * (2 * LEGEND.border_pad + rows * LEGEND.row
    + (rows - 1) * LEGEND.row_gap), place };
}

function drawLegend(ctx, p, box, S0, z) {
  // The legend at the record's location: a spot inside the plot area box, a pad from its
  // frame, or outside it to the right (drawPanel keeps the room).
  const L = legendLayout(ctx, p, S0, p.legend === OUTSIDE ? Infinity : box.w);
  if (!L) return null;
  const { S, w, h } = L;
  const pad = LEGEND.axes_pad * S.legend;
  let x;
  let y;
  if (p.legend === OUTSIDE) {
    x = box.right + pad;
    y = box.y;
  } else {
    const spot = LEGEND_SPOTS[p.legend];
    if (!spot) {
      throw new Error(`no legend location ${p.legend}; figure.js places a legend at ` +
        `${[...Object.keys(LEGEND_SPOTS), OUTSIDE].join(", ")}`);
    }
    x = box.x + pad + spot[0] * (box.w - w - 2 * pad);
    y = box.y + pad + spot[1] * (box.h - h - 2 * pad);
  }
  ctx.fillStyle = "rgba(255,255,255,0.85)";
  ctx.strokeStyle = "#cccccc";
  ctx.lineWidth = 0.8;
  ctx.beginPath();
  ctx.rect(x, y, w, h);
  ctx.fill();
  ctx.stroke();
  const handle = LEGEND.handle * S.legend;
  for (const { e, x: ex, y: ey } of L.place) {
    (LEGEND_HANDLES[e.type] || swatchHandle)(ctx, e, x + ex, y + ey, handle, S, z);
    drawText(ctx, e.label, x + ex + handle + LEGEND.handle_pad * S.legend, y + ey, S.legend,
      { va: "center" });
  }
  return { x, y, w, h };
}

// A legend entry's handle, drawn across [x, x + w] at height y, by the entry's mark type; the
// other marks with a label (bands, bars, masks) show a swatch.
const IDENTITY = { map: (v) => v };

function strokeHandle(ctx, e, colour, width, x, y, w, z) {
  // A stroke as the mark's line: its dash, its halo under it, no wider than 6 px.
  ctx.setLineDash(dashOf(e.dash, width));
  if (e.halo) {
    ctx.strokeStyle = e.halo; ctx.lineWidth = width + 1.8 * PT * z;
    ctx.beginPath(); ctx.moveTo(x, y); ctx.lineTo(x + w, y); ctx.stroke();
  }
  ctx.strokeStyle = colour;
  ctx.lineWidth = Math.min(width, 6 * z);
  ctx.beginPath(); ctx.moveTo(x, y); ctx.lineTo(x + w, y); ctx.stroke();
  ctx.setLineDash([]);
}

function swatchHandle(ctx, e, x, y, w, S) {
  // A filled swatch in the mark's first colour: for areas (bands, bars, masks).
  ctx.globalAlpha = e.alpha ?? 1;
  ctx.fillStyle = colourOf(e.color, 0);
  ctx.fillRect(x, y - S.legend * 0.4, w, S.legend * 0.8);
  ctx.globalAlpha = 1;
}

// The outline of a mask's swatch: bpttviz/figures/style.py's GREY, as Matplotlib's renderer draws it.
const SWATCH_EDGE = "#9a9a9a";

const LEGEND_HANDLES = {
  Line(ctx, e, x, y, w, S, z) {
    strokeHandle(ctx, e, e.color, e.width * PT * z, x, y, w, z);
    if (e.marker) {
      drawMarkers(ctx, [x + w / 2], [y], IDENTITY, IDENTITY, { marker: e.marker, size: e.marker_size,
        color: e.color, edge: e.halo, edge_width: e.halo ? 1 : 0 }, z);
    }
  },
  Rule(ctx, e, x, y, w, S, z) {
    strokeHandle(ctx, e, e.color, e.width * PT * z, x, y, w, z);
  },
  Segments(ctx, e, x, y, w, S, z) {
    strokeHandle(ctx, e, colourOf(e.color, 0), (typeof e.width === "number" ? e.width : 2) * PT * z,
      x, y, w, z);
  },
  Mask(ctx, e, x, y, w, S, z) {
    // A mask's colour is pale (white dims, the empty cells' grey blanks), near the legend's
    // white: its swatch is outlined.
    swatchHandle(ctx, e, x, y, w, S);
    ctx.strokeStyle = SWATCH_EDGE;
    ctx.lineWidth = 0.8 * PT * z;
    ctx.strokeRect(x, y - S.legend * 0.4, w, S.legend * 0.8);
  },
  Points(ctx, e, x, y, w, S, z) {
    drawMarkers(ctx, [x + w / 2], [y], IDENTITY, IDENTITY, { ...e,
      size: Math.min(typeof e.size === "number" ? e.size : 7, 10), color: colourOf(e.color, 0),
      edge: colourOf(e.edge, 0), edge_width: typeof e.edge_width === "number" ? e.edge_width : 0 }, z);
  },
};

function drawColorbar(ctx, heat, box, S, luts) {
  const sc = heat.scale;
  const x = box.x + box.w + S.pad * 2;
  const ext = sc.extend === "max" || sc.extend === "both";
  const tri = ext ? S.cbar * 0.9 : 0;
  const y0 = box.y + tri;
  const h = box.h - tri;
  const lut = luts(sc.cmap);
  const img = cellImage(ctx, 256, 1, (k) => [lut[3 * k], lut[3 * k + 1], lut[3 * k + 2], 255]);
  blitCells(ctx, img, [0, 1, 0, 1], { map: (v) => x + v * S.cbar }, { map: (v) => y0 + v * h });
  if (ext) {
    ctx.fillStyle = sc.over || `rgb(${lut[765]},${lut[766]},${lut[767]})`;
    ctx.beginPath();
    ctx.moveTo(x, y0); ctx.lineTo(x + S.cbar, y0); ctx.lineTo(x + S.cbar / 2, box.y);
    ctx.closePath(); ctx.fill();
  }
  ctx.strokeStyle = "#000";
  ctx.lineWidth = 0.8;
  ctx.strokeRect(x, y0, S.cbar, h);
  const axis = scaleAxis(sc);
  const scale = makeScale(axis, y0 + h, y0);
  const widest = drawAxisTicks(ctx, axis, scale, "right", { x, y: y0, w: S.cbar, h }, { ...S, tick: S.tick * 0.9 }, "#000");
  if (sc.label) {
    drawText(ctx, sc.label, x + S.cbar + S.tickLen + S.pad + widest + S.pad + S.label * 0.6,
      y0 + h / 2, S.label * 0.85, { ha: "center", va: "center", rotate: -Math.PI / 2 });
  }
}

function plotBox(ctx, p, cell, S, z) {
  // A panel's plot area: its cell less the room its title, ticks, labels and colour bar need.
  const m = panelMargins(ctx, p, S, cell, z);
  if (p.y_side === "right") [m.left, m.right] = [Math.max(m.right, S.pad * 3), m.left];
  return { x: cell.x + m.left, y: cell.y + m.top, w: cell.w - m.left - m.right,
    h: cell.h - m.top - m.bottom };
}

function drawAxes(ctx, p, box, cell, S, z, fixed, sx, sy, sy2) {
  // The frame, then each visible axis' ticks and label (an inset's x label under its own box).
  ctx.strokeStyle = "#000";
  ctx.lineWidth = 0.8 * z;
  ctx.strokeRect(box.x, box.y, box.w, box.h);
  if (p.x.visible !== false) {
    drawAxisTicks(ctx, p.x, sx, "bottom", box, S, p.x.color || "#000");
    if (p.x.label) {
      const ly = fixed ? box.y + box.h + S.tickLen + S.label * 1.1 : cell.y + cell.h - S.pad;
      drawText(ctx, p.x.label, box.x + box.w / 2, ly, fixed ? S.label * 0.75 : S.label,
        { ha: "center", va: "bottom", color: p.x.color || "#000" });
    }
  }
  if (p.y.visible !== false) {
    const right = p.y_side === "right";
    drawAxisTicks(ctx, p.y, sy, right ? "right" : "left", box, S, p.y.color || "#000");
    if (p.y.label) {
      const lx = right ? cell.x + cell.w - S.pad - S.label * 0.6 : cell.x + S.pad + S.label * 0.6;
      drawText(ctx, p.y.label, lx, box.y + box.h / 2, S.label,
        { ha: "center", va: "center", rotate: -Math.PI / 2, color: p.y.color || "#000" });
    }
  }
  if (p.y2) {
    drawAxisTicks(ctx, p.y2, sy2, "right", box, S, p.y2.color || "#000");
    if (p.y2.label) {
      drawText(ctx, p.y2.label, cell.x + cell.w - S.pad - S.label * 0.6, box.y + box.h / 2, S.label,
        { ha: "center", va: "center", rotate: -Math.PI / 2, color: p.y2.color || "#000" });
    }
  }
}

function drawPanelTitle(ctx, p, box, cell, S, z, fixed) {
  // Above the plot area: at the top of its cell, or just over an inset's box.
  const t = panelTitle(ctx, p, S, z, fixed ? box.w + 40 : cell.w - 4);
  const lh = t.size * 1.25;
  t.lines.forEach((line, i) => {
    if (fixed) {
      drawText(ctx, line, box.x + box.w / 2, box.y - S.pad * 0.5 - (t.lines.length - 1 - i) * lh,
        t.size, { ha: "center", va: "bottom" });
    } else {
      drawText(ctx, line, box.x + box.w / 2, cell.y + S.pad * 0.5 + i * lh, t.size,
        { ha: "center", va: "top" });
    }
  });
}

export function drawPanel(ctx, p, cell, S, z, luts, fixed) {
  // Draws panel p (resolved: arrays decoded) in cell ({x, y, w, h}, CSS pixels) of a 2D context,
  // or with its plot area at fixed (an inset); S = sizes(z); luts(name) gives a colour map's 256
  // colours. Returns the plot area with its scales (sx, sy), for clicks.
  // A legend outside the plot area takes its room from the right of the cell.
  const outside = !fixed && p.legend === OUTSIDE ? legendLayout(ctx, p, S, Infinity) : null;
  const right = cell.x + cell.w;
  if (outside) cell = { ...cell, w: cell.w - outside.w - 2 * LEGEND.axes_pad * S.legend };
  const box = fixed || plotBox(ctx, p, cell, S, z);
  box.right = outside ? cell.x + cell.w : right;
  if (box.w < 4 || box.h < 4) return box;
  const sx = makeScale(p.x, box.x, box.x + box.w);
  const sy = makeScale(p.y, box.y + box.h, box.y);
  const sy2 = p.y2 ? makeScale(p.y2, box.y + box.h, box.y) : sy;
  const plot = (mark) => ({ box, sx, sy: mark.axis === "y2" ? sy2 : sy, z, luts });
  const frame = p.frame !== false;
  if (frame) {
    ctx.fillStyle = "#fff";
    ctx.fillRect(box.x, box.y, box.w, box.h);
  }
  ctx.save();
  ctx.beginPath();
  ctx.rect(box.x, box.y, box.w, box.h);
  ctx.clip();
  for (const mark of p.marks) if (!ABOVE_THE_CLIP.has(mark.type)) drawMark(ctx, mark, plot(mark));
  ctx.restore();
  for (const mark of p.marks) if (ABOVE_THE_CLIP.has(mark.type)) drawMark(ctx, mark, plot(mark));
  if (frame) drawAxes(ctx, p, box, cell, S, z, fixed, sx, sy, sy2);
  const heat = colourbarOf(p);
  if (heat) drawColorbar(ctx, heat, box, S, luts);
  if (p.title) drawPanelTitle(ctx, p, box, cell, S, z, fixed);
  drawLegend(ctx, p, box, S, z);
  box.sx = sx;
  box.sy = sy;
  return box;
}

function drawFigure(canvas, fig, z, luts, W, H) {
  // Returns each panel's plot box (with its scales), for clicks.
  // W x H CSS pixels; z scales type and lines (projector mode).
  const dpr = window.devicePixelRatio || 1;
  if (canvas.width !== Math.round(W * dpr) || canvas.height !== Math.round(H * dpr)) {
    canvas.width = Math.round(W * dpr);
    canvas.height = Math.round(H * dpr);
  }
  canvas.style.width = `${W}px`;
  canvas.style.height = `${H}px`;
  const ctx = canvas.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, W, H);
  const S = sizes(z);
  const rows = fig.rows;
  const cols = fig.cols;
  const top = fig.title ? S.title * 1.6 : 0;
  if (fig.title) drawText(ctx, fig.title, W / 2, S.pad, S.title, { ha: "center", va: "top" });
  const rsum = rows.reduce((a, b) => a + b, 0);
  const csum = cols.reduce((a, b) => a + b, 0);
  const rowY = [top];
  rows.forEach((r) => rowY.push(rowY[rowY.length - 1] + ((H - top) * r) / rsum));
  const colX = [0];
  cols.forEach((c) => colX.push(colX[colX.length - 1] + (W * c) / csum));
  const boxes = [];
  fig.panels.forEach((p) => {
    if (p.inset) {
      // An inset: a rectangle in its parent's axes fractions (y from the bottom).
      const [parent, fx, fy, fw, fh] = p.inset;
      const pb = boxes[parent];
      const box = { x: pb.x + fx * pb.w, y: pb.y + (1 - fy - fh) * pb.h, w: fw * pb.w, h: fh * pb.h };
      boxes.push(drawPanel(ctx, { ...p, legend: null }, box, S, z, luts, box));
      return;
    }
    const [r, c, rs, cs] = p.cell;
    const cell = { x: colX[c], y: rowY[r], w: colX[c + cs] - colX[c], h: rowY[r + rs] - rowY[r] };
    boxes.push(drawPanel(ctx, p, cell, S, z, luts));
  });
  return boxes;
}

// ---------------------------------------------------------------- saving ---

// The files a figure is saved as, in the order of its buttons.
export const SAVE_FORMATS = ["png", "svg"];

export function kilobytes(bytes) {
  // A file's size as its link gives it: whole kB, rounded as Python's f"{n / 1024:.0f}" rounds
  // (a tie to the even number; n / 1024 is exact, so a tie is exactly .5).
  const k = bytes / 1024;
  const r = Math.round(k);                                   // a tie up
  return r - k === 0.5 && r % 2 === 1 ? r - 1 : r;
}

export function saverRow(doc, send, urls = globalThis.URL) {
  // The row under a figure: "Save as", a PNG and an SVG button (real buttons, styled as
  // ipywidgets' own), and a status that says what a press did. A press sends the kernel
  // {type: "save", format}; it draws the record with Matplotlib and answers (receive) with
  // {type: "file", format, name, mime} and the file's bytes, which the status offers as a link
  // (an object URL, revoked when the next file comes), or with {type: "save-error", text}.
  // doc makes the elements, send(content) reaches the kernel; returns {row, receive, dispose}.
  const row = doc.createElement("div");
  row.className = "bpttviz-saver";
  row.setAttribute("role", "group");
  row.setAttribute("aria-label", "Save this figure");
  row.style.cssText = "display:flex;flex-flow:row wrap;align-items:center;gap:0 4px;"
    + "margin:2px 0;";
  const label = doc.createElement("span");
  label.className = "jupyter-widgets widget-label bpttviz-save-label";
  label.style.width = "auto";
  label.textContent = "Save as";
  row.append(label);
  const status = doc.createElement("span");
  status.className = "bpttviz-save-status";
  status.setAttribute("role", "status");
  status.style.cssText = "margin-left:8px;font-size:var(--jp-widgets-font-size, 13px);";
  let url = null;
  const forget = () => {
    if (url !== null) urls.revokeObjectURL(url);
    url = null;
  };
  const say = (text, error = false) => {
    status.textContent = text;
    status.classList.toggle("bpttviz-save-error", error);
    status.style.color = error ? "#B34E00" : "";
  };
  for (const fmt of SAVE_FORMATS) {
    const button = doc.createElement("button");
    button.type = "button";
    button.className = `jupyter-widgets jupyter-button widget-button bpttviz-save-${fmt}`;
    button.title = `Save this figure as ${fmt.toUpperCase()}`;
    button.style.width = "auto";
    const icon = doc.createElement("i");
    icon.className = "fa fa-download";
    icon.setAttribute("aria-hidden", "true");
    button.append(icon, doc.createTextNode(fmt.toUpperCase()));
    button.addEventListener("click", () => {
      say(`Drawing the ${fmt.toUpperCase()}…`);
      send({ type: "save", format: fmt });
    });
    row.append(button);
  }
  row.append(status);

  const receive = (msg, buffers) => {
    // True when msg was the kernel's answer to a press.
    if (!msg || (msg.type !== "file" && msg.type !== "save-error")) return false;
    forget();
    if (msg.type === "save-error" || !buffers || !buffers.length) {
      say(msg.text || "The figure could not be saved.", true);
      return true;
    }
    const data = buffers[0];
    url = urls.createObjectURL(new Blob([data], { type: msg.mime }));
    const link = doc.createElement("a");
    link.className = "bpttviz-download";
    link.style.cssText = "color:var(--jp-content-link-color, #1565c0);text-decoration:underline;";
    link.href = url;
    link.download = msg.name;
    link.textContent = `Download ${msg.name} (${kilobytes(data.byteLength)} kB)`;
    say("");
    status.append(link);
    return true;
  };
  return { row, receive, dispose: forget };
}

// ---------------------------------------------------------------- widget ---

function initialize({ model }) {
  model.bpttvizStore = makeStore(model);
}

// A figure is never narrower than this (CSS pixels): below, labels would crowd the data.
const MIN_WIDTH = 300;
// Arrays that have not arrived this many milliseconds after they were asked for are asked again.
const ASK_AGAIN_MS = 3000;

function render({ model, el }) {
  const store = model.bpttvizStore || (model.bpttvizStore = makeStore(model));
  // The widget's element (it carries the classes the kernel gave the figure) holds the figure,
  // `live`, and under it the save row when the figure is saveable.
  const live = document.createElement("div");
  live.className = "bpttviz-live";
  // The figure takes the width its place allows; it is drawn to fit it.
  live.style.width = "100%";
  live.style.maxWidth = `${(model.get("spec").width || 425) * (model.get("scale") || 1)}px`;
  // The figure is an image named by its text alternative; the same text, in a visually hidden
  // polite live region beside it (an image's content is not read), is announced when it changes.
  const image = document.createElement("div");
  image.className = "bpttviz-live-image";
  image.setAttribute("role", "img");
  const canvas = document.createElement("canvas");
  canvas.setAttribute("aria-hidden", "true");
  canvas.style.display = "block";
  image.append(canvas);
  const alt = document.createElement("div");
  alt.className = "bpttviz-alt";
  alt.style.cssText = "position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);"
    + "clip-path:inset(50%);white-space:nowrap;margin:0";
  const altText = document.createElement("p");
  altText.className = "bpttviz-alt-text";
  altText.setAttribute("aria-live", "polite");
  alt.append(altText);
  const note = document.createElement("div");
  note.className = "bpttviz-live-note";
  note.setAttribute("role", "status");
  live.append(image, alt, note);
  el.append(live);
  const saver = saverRow(document, (content) => model.send(content));
  const saveable = () => {
    if (!model.get("saveable")) saver.row.remove();
    else if (saver.row.parentNode !== el) el.append(saver.row);
  };
  saveable();
  const answered = (msg, buffers) => saver.receive(msg, buffers);
  let pending = false;
  let asked = 0;
  let boxes = [];
  // A click in a panel tells the kernel where, in the panel's data coordinates.
  canvas.addEventListener("click", (event) => {
    const r = canvas.getBoundingClientRect();
    const x = event.clientX - r.left;
    const y = event.clientY - r.top;
    boxes.forEach((b, i) => {
      if (!b || !b.sx || x < b.x || x > b.x + b.w || y < b.y || y > b.y + b.h) return;
      model.send({ type: "click", panel: i, x: invert(b.sx, x), y: invert(b.sy, y) });
    });
  });

  const luts = (name) => {
    const desc = (model.get("spec").luts || {})[name];
    return (desc ? decodeArray(store, desc) : undefined) || greyLut();
  };

  const say = (text) => {
    if (note.textContent === text) return;
    note.textContent = text;
    note.style.display = text ? "block" : "none";
  };
  // What the page has to read or write outside the canvas is done without forcing the browser
  // to lay the page out again in the middle of a draw: the width comes from the resize observer,
  // and the text alternative is written after the canvas.
  let width = 0;
  const describe = () => {
    const description = model.get("description") || "";
    if (image.getAttribute("aria-label") !== (description || "figure")) {
      image.setAttribute("aria-label", description || "figure");
    }
    if (altText.textContent !== description) altText.textContent = description;
  };

  const draw = () => {
    pending = false;
    const spec = model.get("spec");
    store.ingest();
    if (!spec || !spec.panels) { describe(); return; }
    const missing = missingRefs(store, spec);
    if (missing.length) {
      const now = performance.now();
      if (now - asked > ASK_AGAIN_MS) store.asked.clear();
      const ask = missing.filter((r) => !store.asked.has(r));
      if (ask.length) {
        ask.forEach((r) => store.asked.add(r));
        asked = now;
        model.send({ type: "need", refs: ask });
      }
      store.waiting.add(redraw);
      setTimeout(() => { if (store.waiting.has(redraw)) { say("Waiting for the figure's data…"); redraw(); } },
        ASK_AGAIN_MS + 100);
      return;
    }
    store.waiting.delete(redraw);
    const fig = resolve(store, spec);
    const z = model.get("scale") || 1;
    const widest = `${fig.width * z}px`;
    if (live.style.maxWidth !== widest) { live.style.maxWidth = widest; width = 0; }
    if (!width) width = live.clientWidth;
    // As wide as the figure wants, or as its place on the page allows; the same proportions.
    const room = width;
    const W = Math.round(room > 0 ? Math.max(MIN_WIDTH * z, Math.min(fig.width * z, room)) : fig.width * z);
    const H = Math.round((W * fig.height) / fig.width);
    try {
      const t0 = performance.now();
      boxes = drawFigure(canvas, fig, z, luts, W, H);
      live.dataset.drawMs = (performance.now() - t0).toFixed(1);
      live.classList.remove("bpttviz-live-failed");
      delete live.dataset.error;
      say("");
    } catch (err) {
      live.classList.add("bpttviz-live-failed");
      live.dataset.error = String(err);
      say(`This figure could not be drawn (${err}). Change a control to try again.`);
      console.error("bpttviz figure", err);
    }
    live.bpttvizFigure = fig;
    live.bpttvizBoxes = boxes;       // each panel's plot box and scales (where a point is drawn)
    live.dataset.drawn = String(model.get("version"));
    describe();
  };
  const redraw = () => {
    if (pending) return;
    pending = true;
    queueMicrotask(draw);
  };
  model.on("change:spec", redraw);
  model.on("change:scale", redraw);
  model.on("change:description", describe);
  model.on("change:saveable", saveable);
  model.on("msg:custom", answered);
  const resized = new ResizeObserver((entries) => {
    const w = Math.round(entries[entries.length - 1].contentRect.width);
    if (w !== width) { width = w; redraw(); }
  });
  resized.observe(live);
  draw();
  return () => {
    resized.disconnect();
    store.waiting.delete(redraw);
    model.off("change:spec", redraw);
    model.off("change:scale", redraw);
    model.off("change:description", describe);
    model.off("change:saveable", saveable);
    model.off("msg:custom", answered);
    saver.dispose();
  };
}

export default { initialize, render };
