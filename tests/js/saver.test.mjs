// The save row under a figure: its buttons, what a press sends the kernel, and what the page
// makes of the kernel's answer (a link to the file, or why not), on a fake document
// (fake_dom.mjs) with object URLs that remember their Blob.
import { test } from "node:test";
import assert from "node:assert/strict";
import figure from "./figure.mjs";
import { fakeDocument, fakeUrls } from "./fake_dom.mjs";

const { saverRow, kilobytes, SAVE_FORMATS } = figure;

function row() {
  const sent = [];
  const urls = fakeUrls();
  const saver = saverRow(fakeDocument, (content) => sent.push(content), urls);
  return { ...saver, sent, urls, status: saver.row.querySelector(".bpttviz-save-status") };
}

const PNG = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3);
const file = (fmt, name) => ({ type: "file", format: fmt, name,
  mime: fmt === "png" ? "image/png" : "image/svg+xml" });

test("the row says 'Save as', then a PNG and an SVG button, each a real button with a tooltip", () => {
  const { row: el } = row();
  assert.ok(el.classList.contains("bpttviz-saver"));
  assert.equal(el.getAttribute("role"), "group");
  assert.equal(el.children[0].textContent, "Save as");
  assert.ok(el.children[0].classList.contains("widget-label"));   // projector mode enlarges it
  const buttons = el.all("button");
  assert.deepEqual(SAVE_FORMATS, ["png", "svg"]);
  assert.deepEqual(buttons.map((b) => b.textContent), ["PNG", "SVG"]);
  buttons.forEach((b, i) => {
    const fmt = SAVE_FORMATS[i];
    assert.equal(b.type, "button");                 // never a form's submit
    assert.ok(b.classList.contains(`bpttviz-save-${fmt}`));
    assert.ok(b.classList.contains("jupyter-button") && b.classList.contains("widget-button"));
    assert.equal(b.title, `Save this figure as ${fmt.toUpperCase()}`);
    assert.equal(b.querySelector("i").getAttribute("aria-hidden"), "true");
  });
  assert.equal(el.querySelector(".bpttviz-save-status").getAttribute("role"), "status");
  assert.equal(el.querySelector(".bpttviz-download"), null);     // no file yet
});

test("a press asks the kernel for the figure in its format and says it is being drawn", () => {
  const r = row();
  r.row.querySelector(".bpttviz-save-svg").click();
  r.row.querySelector(".bpttviz-save-png").click();
  assert.deepEqual(r.sent, [{ type: "save", format: "svg" }, { type: "save", format: "png" }]);
  assert.equal(r.status.textContent, "Drawing the PNG…");
});

test("the file the kernel sends is linked for download: its name, its size, its very bytes", async () => {
  const r = row();
  r.row.querySelector(".bpttviz-save-png").click();
  const bytes = new Uint8Array(3000).fill(7);
  bytes.set(PNG);
  assert.equal(r.receive(file("png", "bpttviz-toy-main.png"), [new DataView(bytes.buffer)]), true);
  const link = r.row.querySelector(".bpttviz-download");
  assert.equal(link.tagName, "A");
  assert.equal(link.download, "bpttviz-toy-main.png");
  assert.equal(link.textContent, "Download bpttviz-toy-main.png (3 kB)");
  assert.equal(r.status.textContent, link.textContent);          // the status announces it
  const blob = r.urls.live.get(link.href);
  assert.equal(blob.type, "image/png");
  assert.deepEqual(new Uint8Array(await blob.arrayBuffer()), bytes);
});

test("a new file replaces the link and frees the old one's URL", () => {
  const r = row();
  r.receive(file("png", "f.png"), [PNG]);
  const first = r.row.querySelector(".bpttviz-download").href;
  r.receive(file("svg", "f.svg"), [new TextEncoder().encode("<svg/>")]);
  const links = r.row.all(".bpttviz-download");
  assert.equal(links.length, 1);
  assert.equal(links[0].download, "f.svg");
  assert.deepEqual([...r.urls.live.keys()], [links[0].href]);
  assert.ok(!r.urls.live.has(first));
  r.dispose();                                                  // the view goes: its URL too
  assert.equal(r.urls.live.size, 0);
});

test("a save that failed is said beside the buttons, and the old link goes", () => {
  const r = row();
  r.receive(file("png", "f.png"), [PNG]);
  const text = "Could not save the figure as PNG: The figure has not been drawn yet";
  assert.equal(r.receive({ type: "save-error", text }, []), true);
  assert.equal(r.row.querySelector(".bpttviz-download"), null);
  assert.equal(r.urls.live.size, 0);
  assert.equal(r.status.textContent, text);
  assert.ok(r.status.classList.contains("bpttviz-save-error"));
  r.receive(file("png", "f.png"), [PNG]);                       // the next file: no error
  assert.ok(!r.status.classList.contains("bpttviz-save-error"));
});

test("the figure's other messages are not the row's", () => {
  const r = row();
  assert.equal(r.receive({ type: "arrays", refs: ["a"] }, [PNG]), false);
  assert.equal(r.receive(null, []), false);
  assert.equal(r.status.textContent, "");
  assert.equal(r.urls.live.size, 0);
});

test("a size is given in whole kB, rounded as the link in the kernel rounded it", () => {
  // Python's f"{n / 1024:.0f}" for these n: a tie goes to the even number.
  const python = { 10: 0, 511: 0, 512: 0, 513: 1, 1535: 1, 1536: 2, 2560: 2, 2561: 3, 3584: 4,
    40960: 40, 123456: 121 };
  for (const [n, kb] of Object.entries(python)) assert.equal(kilobytes(Number(n)), kb, n);
});
