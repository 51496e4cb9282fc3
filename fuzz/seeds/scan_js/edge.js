a = b / c; /re"g/.test(x); x = y
/2/i; import {a as b, c} from "./f.mjs"; export * from "./g.js"
let q = `a${`b${"c"}`}`; import
(
"./h.js"
)
