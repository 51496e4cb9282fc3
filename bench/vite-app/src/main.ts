// Entry (manifest key "src/main.ts"): a CodeMirror 6 JavaScript editor, and
// a markdown editor loaded on demand. Writes its result into <div id="out">
// and <body data-ok="1"> for a headless browser's --dump-dom.
import { EditorView, basicSetup } from "codemirror";
import { javascript } from "@codemirror/lang-javascript";
import { statusLine } from "./editor-config";
import { SAMPLE_JS } from "./sample";
import "./style.css";

function el(id: string): HTMLElement {
  let e = document.getElementById(id);
  if (!e) {
    e = document.createElement("div");
    e.id = id;
    document.body.appendChild(e);
  }
  return e;
}

async function main(): Promise<void> {
  const view = new EditorView({
    doc: SAMPLE_JS,
    extensions: [basicSetup, javascript()],
    parent: el("editor"),
  });
  const { mountMarkdown } = await import("./markdown-pane");
  const md = mountMarkdown(el("notes"));
  el("out").textContent = `${statusLine(view.state.doc)}; markdown ${md.state.doc.lines} lines`;
  document.body.dataset.ok = view.dom.querySelector(".cm-content") && md.dom.isConnected ? "1" : "0";
}

main().catch((e: unknown) => {
  el("out").textContent = `error: ${String(e)}`;
  document.body.dataset.ok = "0";
});
