export function greet(what) {
  return `Served from one binary: ${what}, hashed names, SRI and brotli.`;
}
