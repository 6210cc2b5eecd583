// A document that makes elements with what figure.js's save row uses of the DOM (classes,
// attributes, children, text, listeners), so that a test presses its buttons and reads it.

class FakeClassList {
  constructor(el) { this.el = el; }
  get names() { return this.el.className.split(/\s+/).filter(Boolean); }
  contains(name) { return this.names.includes(name); }
  add(...names) { this.el.className = [...new Set([...this.names, ...names])].join(" "); }
  remove(...names) { this.el.className = this.names.filter((n) => !names.includes(n)).join(" "); }
  toggle(name, on = !this.contains(name)) {
    if (on) this.add(name); else this.remove(name);
    return on;
  }
}

class FakeText {
  constructor(text) { this.textContent = String(text); this.parentNode = null; }
}

export class FakeElement {
  constructor(tag) {
    this.tagName = tag.toUpperCase();
    this.className = "";
    this.classList = new FakeClassList(this);
    this.attributes = {};
    this.children = [];
    this.childNodes = [];
    this.parentNode = null;
    this.style = {};
    this.listeners = {};
  }

  setAttribute(name, value) { this.attributes[name] = String(value); }
  getAttribute(name) { return name in this.attributes ? this.attributes[name] : null; }

  append(...nodes) {
    for (const node of nodes) {
      const child = typeof node === "string" ? new FakeText(node) : node;
      if (child.parentNode) child.parentNode.removeChild(child);
      child.parentNode = this;
      this.childNodes.push(child);
      if (child instanceof FakeElement) this.children.push(child);
    }
  }

  removeChild(child) {
    this.childNodes = this.childNodes.filter((c) => c !== child);
    this.children = this.children.filter((c) => c !== child);
    child.parentNode = null;
  }

  remove() { if (this.parentNode) this.parentNode.removeChild(this); }

  get textContent() { return this.childNodes.map((c) => c.textContent).join(""); }
  set textContent(text) {
    for (const c of [...this.childNodes]) this.removeChild(c);
    if (text !== "") this.append(String(text));
  }

  addEventListener(type, listener) { (this.listeners[type] ||= []).push(listener); }
  click() { for (const l of this.listeners.click || []) l({ type: "click", target: this }); }

  // Elements inside this one (depth first) with every class of a selector ".a.b", or of a tag.
  all(selector) {
    const out = [];
    const matches = (el) => (selector.startsWith(".")
      ? selector.slice(1).split(".").every((c) => el.classList.contains(c))
      : el.tagName === selector.toUpperCase());
    const walk = (el) => el.children.forEach((c) => { if (matches(c)) out.push(c); walk(c); });
    walk(this);
    return out;
  }

  querySelector(selector) { return this.all(selector)[0] ?? null; }
}

export const fakeDocument = {
  createElement: (tag) => new FakeElement(tag),
  createTextNode: (text) => new FakeText(text),
};

// Object URLs as URL makes them, each remembered with its Blob until revoked.
export function fakeUrls() {
  const live = new Map();
  let n = 0;
  return {
    live,
    createObjectURL(blob) { const url = `blob:fake/${++n}`; live.set(url, blob); return url; },
    revokeObjectURL(url) { live.delete(url); },
  };
}
