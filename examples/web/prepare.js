// MNIST's preparation of a drawing, as digit-draw does it (lib/src/preprocess.cpp, ported line
// for line): the ink's bounding box scaled so that its longer side is 20 pixels (area-averaged
// grey levels), pasted into 28x28 with its centre of mass at row 14, column 14. Used by
// index.html; also loads in Node (module.exports) for checking.
'use strict';

const SIDE = 28;
const DIGIT_BOX = 20;

// Output pixel j of a 1-D area resampling of n source pixels by `scale`: the source pixels it
// covers, from `first`, with their overlaps scaled so that a fully inked output pixel is 1.
function areaWeights(n, scale, out) {
  const result = [];
  const span = 1 / scale;
  for (let j = 0; j < out; j++) {
    const a = j * span;
    const b = Math.min((j + 1) * span, n);
    const first = Math.floor(a);
    const last = Math.min(n, Math.ceil(b));
    const weights = [];
    for (let x = first; x < last; x++) {
      weights.push(Math.fround(Math.max(0, Math.min(b, x + 1) - Math.max(a, x)) * scale));
    }
    result.push({ first, weights });
  }
  return result;
}

// `grey`: width * height values 0..255 (0 background, 255 full ink), row-major. Returns the
// 28x28 digit as a Uint8Array of 784 values 0..255 (all 0 for a drawing without ink).
function prepareDigit(grey, width, height) {
  const digit = new Uint8Array(SIDE * SIDE);
  let top = height, bottom = -1, left = width, right = -1;
  for (let y = 0; y < height; y++) {
    let x0 = 0;
    while (x0 < width && grey[y * width + x0] === 0) x0++;
    if (x0 === width) continue;
    let x1 = width - 1;
    while (grey[y * width + x1] === 0) x1--;
    top = Math.min(top, y);
    bottom = y;
    left = Math.min(left, x0);
    right = Math.max(right, x1);
  }
  if (bottom < 0) return digit;
  const w = right - left + 1, h = bottom - top + 1;
  const scale = DIGIT_BOX / Math.max(w, h);
  const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));
  const outW = clamp(Math.ceil(w * scale - 1e-6), 1, DIGIT_BOX);
  const outH = clamp(Math.ceil(h * scale - 1e-6), 1, DIGIT_BOX);
  const cols = areaWeights(w, scale, outW);
  const rows = areaWeights(h, scale, outH);

  const wide = new Float32Array(h * outW);
  for (let y = 0; y < h; y++) {
    const row = (top + y) * width + left;
    for (let j = 0; j < outW; j++) {
      let sum = 0;
      const c = cols[j];
      for (let k = 0; k < c.weights.length; k++) {
        sum = Math.fround(sum + Math.fround(c.weights[k] * grey[row + c.first + k]));
      }
      wide[y * outW + j] = sum;
    }
  }
  const box = new Float32Array(outH * outW);
  for (let i = 0; i < outH; i++) {
    const r = rows[i];
    for (let k = 0; k < r.weights.length; k++) {
      const src = (r.first + k) * outW;
      for (let j = 0; j < outW; j++) {
        const v = Math.fround(r.weights[k] * wide[src + j]);
        box[i * outW + j] = Math.fround(box[i * outW + j] + v);
      }
    }
  }

  let mass = 0, my = 0, mx = 0;
  for (let i = 0; i < outH; i++) {
    for (let j = 0; j < outW; j++) {
      const v = box[i * outW + j];
      mass += v;
      my += v * i;
      mx += v * j;
    }
  }
  const centre = SIDE / 2;
  const cy = mass > 0 ? my / mass : (outH - 1) / 2;
  const cx = mass > 0 ? mx / mass : (outW - 1) / 2;
  // Math.round differs from C's llround only on negative halves, which clamp to 0 either way.
  const oy = clamp(Math.round(centre - cy), 0, SIDE - outH);
  const ox = clamp(Math.round(centre - cx), 0, SIDE - outW);
  for (let i = 0; i < outH; i++) {
    for (let j = 0; j < outW; j++) {
      digit[(oy + i) * SIDE + ox + j] = Math.round(clamp(box[i * outW + j], 0, 255));
    }
  }
  return digit;
}

// The model's input for a prepared digit: pixel / 255 as digit-predict computes it in float.
function toModelInput(digit) {
  const perLevel = Math.fround(1 / 255);
  const input = new Float32Array(SIDE * SIDE);
  for (let i = 0; i < input.length; i++) input[i] = Math.fround(digit[i] * perLevel);
  return input;
}

if (typeof module !== 'undefined') module.exports = { prepareDigit, toModelInput, SIDE };
