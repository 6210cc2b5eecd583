// A CanvasRenderingContext2D that draws nothing and keeps what it is asked to do, so that a test
// reads what a drawer drew: each fill, stroke, text and image with the path and the state
// (colours, line width, dash, alpha, translation) it was drawn with.

const STATE = ["fillStyle", "strokeStyle", "lineWidth", "globalAlpha", "font", "lineJoin", "lineCap",
  "textBaseline", "imageSmoothingEnabled"];

export class FakeContext {
  constructor() {
    this.fillStyle = "#000";
    this.strokeStyle = "#000";
    this.lineWidth = 1;
    this.globalAlpha = 1;
    this.font = "10px sans-serif";
    this.lineJoin = "miter";
    this.lineCap = "butt";
    this.textBaseline = "alphabetic";
    this.imageSmoothingEnabled = true;
    this.dash = [];
    this.origin = [0, 0];           // the translation (rotations are kept in `rotation`)
    this.rotation = 0;
    this.subpaths = [];
    this.saved = [];
    this.ops = [];                  // every drawing operation, in order
    // The scratch canvases a drawer makes (heatmaps, masks, colour bars) keep their image.
    this.canvas = { ownerDocument: { createElement: () => scratchCanvas() } };
  }

  record(op, extra = {}) {
    const state = Object.fromEntries(STATE.map((k) => [k, this[k]]));
    this.ops.push({ op, ...state, dash: [...this.dash], origin: [...this.origin],
      rotation: this.rotation, ...extra });
  }

  // What was drawn, by kind.
  find(op) { return this.ops.filter((o) => o.op === op); }

  save() {
    this.saved.push({ ...Object.fromEntries(STATE.map((k) => [k, this[k]])), dash: this.dash,
      origin: this.origin, rotation: this.rotation });
    this.record("save");
  }

  restore() {
    Object.assign(this, this.saved.pop());
    this.record("restore");
  }

  translate(x, y) { this.origin = [this.origin[0] + x, this.origin[1] + y]; }
  rotate(a) { this.rotation += a; }
  setTransform() { this.origin = [0, 0]; this.rotation = 0; }
  setLineDash(d) { this.dash = [...d]; }
  getLineDash() { return [...this.dash]; }

  beginPath() { this.subpaths = []; }
  moveTo(x, y) { this.subpaths.push([[x, y]]); }
  lineTo(x, y) {
    // As a canvas does: a lineTo with no current point starts a subpath there.
    if (!this.subpaths.length) this.subpaths.push([]);
    this.subpaths[this.subpaths.length - 1].push([x, y]);
  }
  closePath() { if (this.subpaths.length) this.subpaths[this.subpaths.length - 1].closed = true; }
  rect(x, y, w, h) { this.subpaths.push(Object.assign([[x, y], [x + w, y], [x + w, y + h], [x, y + h]], { closed: true })); }
  arc(x, y, r) { this.subpaths.push(Object.assign([[x, y]], { arc: r })); }

  fill() { this.record("fill", { path: this.path() }); }
  stroke() { this.record("stroke", { path: this.path() }); }
  clip() { this.record("clip", { path: this.path() }); }
  fillRect(x, y, w, h) { this.record("fillRect", { rect: [x, y, w, h] }); }
  strokeRect(x, y, w, h) { this.record("strokeRect", { rect: [x, y, w, h] }); }
  fillText(text, x, y) { this.record("fillText", { text, x, y }); }
  drawImage(source, x, y, w, h) { this.record("drawImage", { image: source.image, rect: [x, y, w, h] }); }

  path() {
    return this.subpaths.map((s) => Object.assign(s.map((p) => [...p]), { closed: !!s.closed, arc: s.arc }));
  }

  // Type as wide as 0.6 of its size per character: widths a test can work out by hand.
  measureText(text) {
    const px = Number(/([\d.]+)px/.exec(this.font)[1]);
    return { width: 0.6 * px * String(text).length };
  }

  createImageData(width, height) {
    return { width, height, data: new Uint8ClampedArray(4 * width * height) };
  }
}

function scratchCanvas() {
  const canvas = { width: 0, height: 0, image: null };
  canvas.getContext = () => ({ putImageData: (img) => { canvas.image = img; } });
  return canvas;
}
