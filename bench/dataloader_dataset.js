'use strict';
/**
 * The dataset of the dataloader benchmark: item i is a 256-value feature vector that takes about 1 ms of real CPU
 * work to compute (a fixed number of trigonometric terms, the same work on every thread), plus its label.
 */
const torch = require('..');

const FEATURES = 256;

class SyntheticFeatures extends torch.data.Dataset {
  constructor(n, terms) {
    super();
    this.n = n;
    this.terms = terms;
  }

  getItem(i) {
    const out = new Float32Array(FEATURES);
    for (let f = 0; f < FEATURES; f++) {
      let acc = 0;
      for (let k = 1; k <= this.terms; k++) acc += Math.sin((i + 1) * k * 0.001 + f) / k;
      out[f] = acc;
    }
    return [torch.tensor(out), i % 10];
  }

  get length() {
    return this.n;
  }
}

module.exports = { SyntheticFeatures, FEATURES };
