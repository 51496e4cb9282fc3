// The module graph every experiment loads: a static import, an `export … from`,
// a `../` import, and a dynamic import(), all relative specifiers as written.
export const SOURCES = {
  'js/app.js': `import { leaf } from "./lib/leaf.js";
import { mid } from "./lib/mid.js";
import { fromLeaf } from "./lib/reexport.js";
(globalThis.__mods ??= []).push(["app", import.meta.url]);
const res = (globalThis.__res = { leaf, mid, fromLeaf, resolved: import.meta.resolve("./lib/leaf.js") });
try {
  const d = await import("./lib/dyn.js");
  res.dyn = d.dyn;
} catch (e) {
  res.dynError = String(e);
}
globalThis.__done = true;
`,
  'js/lib/leaf.js': `(globalThis.__mods ??= []).push(["leaf", import.meta.url]);
export const leaf = "leaf-v1";
`,
  'js/lib/mid.js': `import { util } from "../util.js";
(globalThis.__mods ??= []).push(["mid", import.meta.url]);
export const mid = "mid+" + util;
`,
  'js/util.js': `(globalThis.__mods ??= []).push(["util", import.meta.url]);
export const util = "util";
`,
  'js/lib/reexport.js': `export { leaf as fromLeaf } from "./leaf.js";
(globalThis.__mods ??= []).push(["reexport", import.meta.url]);
`,
  'js/lib/dyn.js': `import { util } from "../util.js";
(globalThis.__mods ??= []).push(["dyn", import.meta.url]);
export const dyn = "dyn+" + util;
`,
};

export const EXPECTED_RES = { leaf: 'leaf-v1', mid: 'mid+util', fromLeaf: 'leaf-v1', dyn: 'dyn+util' };
