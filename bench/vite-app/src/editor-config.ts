// App code that ends up in the large entry chunk (with CodeMirror's core).
// The benchmark's second build (scripts/bundlers.sh --project bench/vite-app
// --variant v2 ...) changes the line marked `variant` and nothing else: the
// "one-line change" a returning visitor downloads after a deploy.
export function release(): string {
  return "v1"; // variant
}

/** The editor's settings shown in the status line. */
export function statusLine(doc: { lines: number; length: number }): string {
  return `release ${release()}: ${doc.lines} lines, ${doc.length} characters`;
}
