import a from "./a.js";
export { b } from '../b.js';
import "/static/c.js";
const d = import("./d.js");
// import x from "./no.js"
const s = "import('./no.js')";
const r = /import "x"/g;
const t = `${import("./e.js")}`;
//# sourceMappingURL=app.js.map
