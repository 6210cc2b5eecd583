export default {
  render({ model, el }) {
    const input = document.createElement("input");
    input.type = "file";
    input.id = "bpttviz-file-" + Math.random().toString(36).slice(2);
    const label = document.createElement("label");
    label.htmlFor = input.id;
    label.style.cssText = "display:block;font-size:14px;margin:2px 0";
    input.style.fontSize = "14px";
    const sync = () => {
      label.textContent = model.get("description");
      input.accept = model.get("accept");
      input.title = model.get("tooltip");
    };
    sync();
    model.on("change", sync);
    input.addEventListener("change", async () => {
      const file = input.files && input.files[0];
      if (!file) return;
      const max = model.get("max_bytes");
      // Of a larger file only max + 1 bytes travel: enough for the kernel to refuse it, and
      // under the server's limit on one message.
      const part = file.size > max ? file.slice(0, max + 1) : file;
      const bytes = await part.arrayBuffer();
      model.send({ type: "file", name: file.name, size: file.size }, undefined, [bytes]);
      input.value = "";                     // the same file can be chosen again
    });
    el.classList.add("bpttviz-file-chooser");
    el.append(label, input);
    return () => model.off("change", sync);
  },
};
