#!/usr/bin/env node
// Runs a model digit-export wrote with ONNX Runtime (npm package onnxruntime-node) over a Kaggle
// CSV and writes each image's class probabilities in digit-predict --probabilities's format:
// header `ImageId,Label,p0,...,p9`, then per row its number from 1, the most likely digit and the
// ten probabilities with 6 decimals. The parity test (tests/export/onnx_export_test.cpp) compares the two
// files; docs/export.md explains the model's input.
//
//   node tools/onnx-predict.js --model digits.onnx --csv test.csv --probabilities p.csv
//       [--batch-size 1000]
//
// The CSV is Kaggle's train (label,pixel0,...,pixel783) or test (pixel0,...,pixel783) format,
// plain or .gz; pixels 0..255 become pixel / 255. A labelled file's accuracy goes to stderr.
// onnxruntime-node is found as Node finds any package (a node_modules folder above this file, or
// NODE_PATH), else in build/release/node_modules, where setup.sh test installs it.
'use strict';
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');

const PROGRAM = 'onnx-predict.js';
const SIDE = 28;
const PIXELS = SIDE * SIDE;
const CLASSES = 10;
const EXIT_FAILURE = 1;
const EXIT_BAD_INPUT = 2;
// Where setup.sh test installs onnxruntime-node, tried after Node's own search.
const BUILD_NODE_MODULES = path.join(__dirname, '..', 'build', 'release', 'node_modules');

function fail(message, code = EXIT_BAD_INPUT) {
  console.error(`${PROGRAM}: ${message}`);
  process.exit(code);
}

function parseArgs(argv) {
  const usage =
    'usage: node tools/onnx-predict.js --model M.onnx --csv DATA.csv[.gz] ' +
    '--probabilities OUT.csv [--batch-size N]';
  const args = { model: '', csv: '', probabilities: '', batchSize: 1000 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') {
      console.log(usage);
      process.exit(0);
    }
    const value = argv[i + 1];
    if (value === undefined) fail(`${a}: needs a value\n${usage}`);
    if (a === '--model') args.model = value;
    else if (a === '--csv' || a === '--data') args.csv = value;
    else if (a === '--probabilities') args.probabilities = value;
    else if (a === '--batch-size') {
      args.batchSize = Number(value);
      if (!Number.isInteger(args.batchSize) || args.batchSize < 1) {
        fail(`--batch-size ${value}: expected a positive integer`);
      }
    } else fail(`unknown option ${a}\n${usage}`);
    i++;
  }
  for (const [name, v] of [['--model', args.model], ['--csv', args.csv],
    ['--probabilities', args.probabilities]]) {
    if (!v) fail(`${name} is required\n${usage}`);
  }
  return args;
}

// The CSV's images as the model's input (float32 [N, 1, 28, 28]) and its labels (or null).
function readKaggleCsv(file) {
  let bytes;
  try {
    bytes = fs.readFileSync(file);
    if (file.endsWith('.gz')) bytes = zlib.gunzipSync(bytes);
  } catch (e) {
    fail(`${file}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
  }
  let text = bytes.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  if (lines.length === 0) fail(`${file}: empty file, expected a Kaggle CSV header`);
  const header = lines[0].split(',');
  const labelled = header[0] === 'label';
  const pixelsFrom = labelled ? 1 : 0;
  const expected = pixelsFrom + PIXELS;
  const wellFormed = header.length === expected &&
    header.slice(pixelsFrom).every((h, i) => h === `pixel${i}`);
  if (!wellFormed) {
    fail(`${file}:1: header is neither Kaggle train format (label,pixel0,...,pixel783) nor ` +
      `test format (pixel0,...,pixel783)`);
  }
  const n = lines.length - 1;
  if (n === 0) fail(`${file}: a header and no rows`);
  const images = new Float32Array(n * PIXELS);
  const labels = labelled ? new Int32Array(n) : null;
  // digit-predict's arithmetic in float: pixel * float(1 / 255), correctly rounded to float
  // (the product of two floats is exact in a double).
  const perLevel = Math.fround(1 / 255);
  for (let r = 0; r < n; r++) {
    const fields = lines[r + 1].split(',');
    const where = `${file}:${r + 2}`;
    if (fields.length !== expected) fail(`${where}: ${fields.length} fields, expected ${expected}`);
    for (let c = 0; c < expected; c++) {
      const f = fields[c];
      const v = /^[0-9]{1,3}$/.test(f) ? Number(f) : NaN;
      const max = c < pixelsFrom ? 9 : 255;
      if (!(v <= max)) {
        fail(`${where}: column ${c + 1}: '${f}', expected an integer 0..${max}`);
      }
      if (c < pixelsFrom) labels[r] = v;
      else images[r * PIXELS + c - pixelsFrom] = Math.fround(v * perLevel);
    }
  }
  return { images, labels, n };
}

// `x` (a float32 value) with 6 decimals exactly as C's printf("%.6f") writes it: from its exact
// binary value, halves to even. Number.prototype.toFixed rounds halves up, which differs on
// float32 values such as 0.0078125 (1/128).
function fixed6(x) {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x < 0 ? '-inf' : 'inf';
  const negative = x < 0 || Object.is(x, -0);
  const view = new DataView(new ArrayBuffer(4));
  view.setFloat32(0, Math.abs(x));
  const bits = view.getUint32(0);
  const exponent = (bits >>> 23) & 0xff;
  let mantissa = BigInt(bits & 0x7fffff);
  if (exponent !== 0) mantissa += 1n << 23n;
  const shift = BigInt(exponent === 0 ? 149 : 150 - exponent);  // value = mantissa / 2^shift
  const scaled = mantissa * 1000000n;
  let q;
  if (shift <= 0n) {
    q = scaled << -shift;
  } else {
    const denominator = 1n << shift;
    q = scaled / denominator;
    const twice = 2n * (scaled % denominator);
    if (twice > denominator || (twice === denominator && q % 2n === 1n)) q += 1n;
  }
  const digits = q.toString().padStart(7, '0');
  return `${negative ? '-' : ''}${digits.slice(0, -6)}.${digits.slice(-6)}`;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  let ort = null;
  let why = '';
  for (const where of ['onnxruntime-node', path.join(BUILD_NODE_MODULES, 'onnxruntime-node')]) {
    try {
      ort = require(where);
      break;
    } catch (e) {
      why = why || e.message.split('\n')[0];
    }
  }
  if (!ort) {
    fail(`cannot load onnxruntime-node (${why}): ./setup.sh test installs it in ` +
      'build/release/node_modules; or run `npm install --no-audit --no-fund ' +
      '--onnxruntime-node-install=skip onnxruntime-node@1.30.0` in a folder above this one, ' +
      'or set NODE_PATH to a node_modules folder that has it', EXIT_FAILURE);
  }
  const { images, labels, n } = readKaggleCsv(args.csv);
  let session;
  try {
    session = await ort.InferenceSession.create(args.model);
  } catch (e) {
    fail(`${args.model}: cannot load the ONNX model: ${e.message}`);
  }
  const started = Date.now();
  const probs = new Float32Array(n * CLASSES);
  for (let i = 0; i < n; i += args.batchSize) {
    const b = Math.min(args.batchSize, n - i);
    const input = new ort.Tensor('float32', images.subarray(i * PIXELS, (i + b) * PIXELS),
      [b, 1, SIDE, SIDE]);
    const out = await session.run({ image: input });
    probs.set(out.probabilities.data, i * CLASSES);
  }
  const seconds = (Date.now() - started) / 1000;

  const header = ['ImageId', 'Label'];
  for (let c = 0; c < CLASSES; c++) header.push(`p${c}`);
  const rows = [header.join(',')];
  let correct = 0;
  for (let r = 0; r < n; r++) {
    const p = probs.subarray(r * CLASSES, (r + 1) * CLASSES);
    let label = 0;
    for (let c = 1; c < CLASSES; c++) if (p[c] > p[label]) label = c;  // the first of equals
    if (labels && labels[r] === label) correct++;
    rows.push(`${r + 1},${label},${Array.from(p, fixed6).join(',')}`);
  }
  const text = rows.join('\n') + '\n';
  try {
    if (args.probabilities === '-') {
      process.stdout.write(text);
    } else {
      // Atomic, like digit-predict: a failure leaves any previous file as it was.
      const tmp = `${args.probabilities}.tmp.${process.pid}`;
      fs.writeFileSync(tmp, text);
      fs.renameSync(tmp, args.probabilities);
    }
  } catch (e) {
    fail(`${args.probabilities}: cannot write: ${e.message}`, EXIT_FAILURE);
  }
  let line = `predicted ${n} images in ${seconds.toFixed(2)} s with ONNX Runtime`;
  if (labels) line += `; accuracy=${(correct / n).toFixed(6)}`;
  console.error(line);
}

main().catch((e) => fail(e.stack || String(e), EXIT_FAILURE));
