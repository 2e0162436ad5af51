#!/usr/bin/env node
'use strict';
// A tour of torchlet's tensors, written the way the same PyTorch script reads. With the same seed, the numbers
// printed here are the numbers PyTorch prints (`python3 examples/tensor_tour.py` shows it side by side).
const torch = require('..');

const info = torch.backendInfo();
console.log(`torchlet ${info.addonVersion} on ${info.blasConfig} (${info.numThreads} threads), node ${info.nodeVersion}\n`);

torch.manualSeed(0);
const a = torch.rand(2, 3);
console.log('torch.manual_seed(0); a = torch.rand(2, 3)\n' + a + '\n');

const b = torch.randn(3, 4);
console.log('b = torch.randn(3, 4)\n' + b + '\n');

console.log('a @ b (OpenBLAS sgemm)\n' + a.matmul(b) + '\n');
console.log('a.t() @ a: the transposed view reaches sgemm as a flag, no copy\n' + a.t().matmul(a) + '\n');

const col = torch.tensor([1, 3, 3]).unsqueeze(1);
console.log('broadcasting: torch.tensor([1., 3, 3]).unsqueeze(1) * torch.arange(4)\n' + col.mul(torch.arange(4)) + '\n');

console.log('b.softmax(1)\n' + b.softmax(1) + '\n');
const { values, indices } = b.max(1);
console.log('values, indices = b.max(1)\n' + values + '\n' + indices + '\n');
console.log('b.var(0), b.logsumexp(1)\n' + b.var(0) + '\n' + b.logsumexp(1) + '\n');

const x = torch.arange(12).view(3, 4);
console.log('x = torch.arange(12).view(3, 4); x[1:, ::2]  (x.index("1:", "::2"))\n' + x.index('1:', '::2') + '\n');
console.log('torch.cat([x, x], 1).shape =', torch.cat([x, x], 1).shape, '; x.chunk(2, 1)[1]\n' + x.chunk(2, 1)[1] + '\n');
console.log('torch.randperm(8)\n' + torch.randperm(8) + '\n');

try {
  torch.matmul(torch.ones(2, 3), torch.ones(4, 5));
} catch (e) {
  console.log(`errors name the op and the shapes: ${e.constructor.name}: ${e.message}`);
}
