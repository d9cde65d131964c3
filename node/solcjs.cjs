#!/usr/bin/env node
// The solc command-line surface that py-solc-x uses (--version, --standard-json), served by
// the pinned npm `solc` package (solcjs). Talking to the package directly keeps stdout pure
// JSON: the solcjs command prints a ">>>" banner before its output.
'use strict';
const path = require('path');
const solc = require(require.resolve('solc', { paths: [path.resolve(__dirname, '..')] }));

const args = process.argv.slice(2);
if (args.includes('--version')) {
  process.stdout.write('solc, the solidity compiler commandline interface\nVersion: ' + solc.version() + '\n');
  process.exit(0);
}
if (!args.includes('--standard-json')) {
  process.stderr.write('solcjs.cjs: only --version and --standard-json are supported\n');
  process.exit(2);
}
const chunks = [];
process.stdin.on('data', (c) => chunks.push(c));
process.stdin.on('end', () => {
  // Every source is sent inline, so no import callback is needed.
  process.stdout.write(solc.compile(Buffer.concat(chunks).toString('utf8')));
});
