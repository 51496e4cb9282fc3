// Dynamic chunk: a markdown editor (lang-markdown brings lang-html and
// lang-css for code blocks).
import { EditorView, basicSetup } from "codemirror";
import { markdown } from "@codemirror/lang-markdown";
import { SAMPLE_MD } from "./sample";

export function mountMarkdown(parent: HTMLElement): EditorView {
  return new EditorView({ doc: SAMPLE_MD, extensions: [basicSetup, markdown()], parent });
}
