/**
 * A character-level language model trained on real English words (the ~275,000 words of the npm package
 * an-array-of-english-words): seeded, 10% of the words held out, a progress bar with train and held-out loss per
 * epoch, and 20 sampled words at the end. A small causal transformer by default; `--lstm` trains an LSTM instead.
 *
 *     npm run demo:text [-- --lstm] [-- --epochs N]
 *
 * scripts/text_lm.py is the same program in PyTorch, line for line, to compare loss and time.
 */
import * as torch from '../dist';
import type { Tensor } from '../dist';
import { bar } from './mnist_data';

const { nn } = torch;
const F = nn.functional;

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';
/** Token 0 marks the start and the end of a word; the letters are 1..26. */
const BOUNDARY = 0;
const MAX_LETTERS = 16;
const LENGTH = MAX_LETTERS + 1;
const IGNORE = -100;
const VOCAB = LETTERS.length + 1;

/** The word list, without the 0.9% of words longer than MAX_LETTERS. */
export function loadWords(): string[] {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const all: string[] = require('an-array-of-english-words');
  return all.filter((w) => w.length <= MAX_LETTERS);
}

/** Input rows [BOUNDARY, c1..cn, BOUNDARY...] and target rows [c1..cn, BOUNDARY, IGNORE...], LENGTH long. */
export function encode(words: readonly string[]): { x: Tensor; y: Tensor } {
  const x = new Int32Array(words.length * LENGTH);
  const y = new Int32Array(words.length * LENGTH).fill(IGNORE);
  words.forEach((w, i) => {
    for (let j = 0; j < w.length; j++) {
      const code = w.charCodeAt(j) - 96; // 'a' is 1
      x[i * LENGTH + j + 1] = code;
      y[i * LENGTH + j] = code;
    }
    y[i * LENGTH + w.length] = BOUNDARY;
  });
  return { x: torch.tensor(x).reshape(words.length, LENGTH), y: torch.tensor(y).reshape(words.length, LENGTH) };
}

/** Token and position embeddings, a pre-norm causal TransformerEncoder, a final LayerNorm and a linear head. */
export class CharTransformer extends nn.Module {
  embed: InstanceType<typeof nn.Embedding>;
  position: InstanceType<typeof nn.Embedding>;
  encoder: InstanceType<typeof nn.TransformerEncoder>;
  head: InstanceType<typeof nn.Linear>;
  declare mask: Tensor;
  declare positions: Tensor;

  constructor(vocab: number, dModel = 64, heads = 4, layers = 2, ff = 256) {
    super();
    this.embed = new nn.Embedding(vocab, dModel);
    this.position = new nn.Embedding(LENGTH, dModel);
    const layer = new nn.TransformerEncoderLayer(dModel, heads, { dimFeedforward: ff, dropout: 0, batchFirst: true, normFirst: true });
    this.encoder = new nn.TransformerEncoder(layer, layers, { norm: new nn.LayerNorm([dModel]) });
    this.head = new nn.Linear(dModel, vocab);
    this.registerBuffer('mask', nn.Transformer.generateSquareSubsequentMask(LENGTH));
    this.registerBuffer('positions', torch.arange(LENGTH, undefined, 1, { dtype: torch.int32 }));
  }

  forward(x: Tensor): Tensor {
    const t = x.shape[1]!;
    const h = this.embed.forward(x).add(this.position.forward(this.positions.narrow(0, 0, t)));
    return this.head.forward(this.encoder.forward(h, { mask: this.mask.narrow(0, 0, t).narrow(1, 0, t) }));
  }
}

/** An embedding, one LSTM layer and a linear head. */
export class CharLSTM extends nn.Module {
  embed: InstanceType<typeof nn.Embedding>;
  lstm: InstanceType<typeof nn.LSTM>;
  head: InstanceType<typeof nn.Linear>;

  constructor(vocab: number, hidden = 256) {
    super();
    this.embed = new nn.Embedding(vocab, 64);
    this.lstm = new nn.LSTM(64, hidden, { batchFirst: true });
    this.head = new nn.Linear(hidden, vocab);
  }

  forward(x: Tensor): Tensor {
    return this.head.forward(this.lstm.forward(this.embed.forward(x))[0]);
  }
}

type LanguageModel = torch.nn.Module & { forward(x: Tensor): Tensor };

/** Mean cross entropy per predicted character (the end-of-word mark included), in nats, in eval mode. */
export function heldOutLoss(model: LanguageModel, x: Tensor, y: Tensor): number {
  model.eval();
  let total = 0;
  let count = 0;
  torch.noGrad(() => {
    const rows = x.shape[0]!;
    for (let i = 0; i < rows; i += 1024) {
      const n = Math.min(1024, rows - i);
      const logits = model.forward(x.narrow(0, i, n));
      const t = y.narrow(0, i, n);
      total += F.crossEntropy(logits.reshape(-1, VOCAB), t.reshape(-1), { ignoreIndex: IGNORE, reduction: 'sum' }).item();
      count += t.ne(IGNORE).sum().item();
    }
  });
  model.train();
  return total / count;
}

/** n words drawn letter by letter from the model's predicted distribution. */
export function sample(model: LanguageModel, n: number): string[] {
  model.eval();
  const words: string[] = [];
  torch.noGrad(() => {
    for (let k = 0; k < n; k++) {
      const seq = [BOUNDARY];
      while (seq.length <= MAX_LETTERS) {
        const logits = model.forward(torch.tensor([seq], { dtype: torch.int32 }));
        const probs = F.softmax(logits.select(0, 0).select(0, -1), -1);
        const c = torch.multinomial(probs, 1).item();
        if (c === BOUNDARY) break;
        seq.push(c);
      }
      words.push(seq.slice(1).map((c) => LETTERS[c - 1]).join(''));
    }
  });
  model.train();
  return words;
}

export interface TextOptions {
  lstm?: boolean;
  epochs?: number;
  threads?: number;
  batchSize?: number;
  /** Train on only this many words (the tests use a few thousand). */
  limit?: number;
  log?: (s: string) => void;
}

/** Trains the model; returns the held-out loss after each epoch, the samples and the seconds taken. */
export function main(options: TextOptions = {}): { heldOut: number[]; samples: string[]; seconds: number } {
  const { lstm = false, epochs = 1, threads = 2, batchSize = 128, limit, log = (s: string) => process.stdout.write(s) } = options;
  torch.setNumThreads(threads);
  torch.manualSeed(0);
  const all = loadWords();
  const order = torch.randperm(all.length);
  let words = Array.from(order.data as Int32Array, (i) => all[i]!);
  if (limit !== undefined) words = words.slice(0, limit);
  const held = Math.floor(words.length / 10);
  const test = encode(words.slice(0, held));
  const train = encode(words.slice(held));
  const model: LanguageModel = lstm ? new CharLSTM(VOCAB) : new CharTransformer(VOCAB);
  const params = model.parameters().reduce((s, p) => s + p.numel(), 0);
  log(`text: ${train.x.shape[0]} training and ${test.x.shape[0]} held-out words, ${lstm ? 'LSTM' : 'transformer'} with ${params} parameters, Adam\n`);
  const opt = new torch.optim.Adam(model.parameters(), { lr: 3e-3 });
  const n = train.x.shape[0]!;
  const steps = Math.ceil(n / batchSize);
  const start = Date.now();
  const secs = () => ((Date.now() - start) / 1000).toFixed(0);
  const heldOut: number[] = [];
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const perm = torch.randperm(n);
    let running = 0;
    let seen = 0;
    for (let s = 0; s < steps; s++) {
      const idx = perm.narrow(0, s * batchSize, Math.min(batchSize, n - s * batchSize));
      const x = train.x.indexSelect(0, idx);
      const y = train.y.indexSelect(0, idx);
      const logits = model.forward(x);
      const loss = F.crossEntropy(logits.reshape(-1, VOCAB), y.reshape(-1), { ignoreIndex: IGNORE });
      opt.zeroGrad();
      loss.backward();
      opt.step();
      running += loss.item();
      seen++;
      if (s % 50 === 0 || s === steps - 1) log(`\repoch ${epoch} ${bar(s + 1, steps)} loss ${(running / seen).toFixed(3)} ${secs()}s`);
    }
    heldOut.push(heldOutLoss(model, test.x, test.y));
    log(`\repoch ${epoch} ${bar(steps, steps)} train loss ${(running / seen).toFixed(3)}, held-out loss ${heldOut[epoch - 1]!.toFixed(3)} nats/char, ${secs()}s\n`);
  }
  const samples = sample(model, 20);
  log(`samples: ${samples.join(' ')}\n`);
  return { heldOut, samples, seconds: (Date.now() - start) / 1000 };
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const at = args.indexOf('--epochs');
  main({ lstm: args.includes('--lstm'), ...(at >= 0 ? { epochs: Number(args[at + 1]) } : {}) });
}
