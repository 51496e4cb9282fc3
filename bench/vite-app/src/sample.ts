/** The documents the two editors open with. */
export const SAMPLE_JS = `// A small program to edit.
function fibonacci(n) {
  let [a, b] = [0, 1];
  for (let i = 0; i < n; i++) [a, b] = [b, a + b];
  return a;
}

console.log(Array.from({ length: 10 }, (_, i) => fibonacci(i)).join(", "));
`;

export const SAMPLE_MD = `# Notes

The markdown editor is loaded on demand (a dynamic import), with the
languages it highlights inside code blocks.

\`\`\`js
const answer = 42;
\`\`\`
`;
