#!/usr/bin/env python3
"""The PyTorch twin of examples/text_lm.ts (npm run demo:text), line for line: a character-level language model
over the English words of the npm package an-array-of-english-words, seeded the same way. Not run by the tests;
run it by hand to compare held-out loss and time with torchlet:

    /usr/bin/python3 scripts/text_lm.py [--lstm] [--epochs N] [--threads N]
"""
import argparse
import json
import math
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LETTERS = 'abcdefghijklmnopqrstuvwxyz'
BOUNDARY = 0  # token 0 marks the start and the end of a word ('.' when printed); letters are 1..26
MAX_LETTERS = 16
IGNORE = -100


def load_words():
    with open(os.path.join(ROOT, 'node_modules', 'an-array-of-english-words', 'index.json')) as f:
        return [w for w in json.load(f) if len(w) <= MAX_LETTERS]


def encode(words):
    """Input rows [BOUNDARY, c1..cn, BOUNDARY...] and target rows [c1..cn, BOUNDARY, IGNORE...], MAX_LETTERS + 1 long."""
    n, length = len(words), MAX_LETTERS + 1
    x = torch.zeros(n, length, dtype=torch.int64)
    y = torch.full((n, length), IGNORE, dtype=torch.int64)
    for i, w in enumerate(words):
        codes = [LETTERS.index(c) + 1 for c in w]
        x[i, 1:len(codes) + 1] = torch.tensor(codes, dtype=torch.int64)
        y[i, :len(codes)] = torch.tensor(codes, dtype=torch.int64)
        y[i, len(codes)] = BOUNDARY
    return x, y


class CharTransformer(nn.Module):
    def __init__(self, vocab, d_model=64, heads=4, layers=2, ff=256, length=MAX_LETTERS + 1):
        super().__init__()
        self.embed = nn.Embedding(vocab, d_model)
        self.position = nn.Embedding(length, d_model)
        layer = nn.TransformerEncoderLayer(d_model, heads, dim_feedforward=ff, dropout=0.0, batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, norm=nn.LayerNorm(d_model))
        self.head = nn.Linear(d_model, vocab)
        self.register_buffer('mask', nn.Transformer.generate_square_subsequent_mask(length))
        self.register_buffer('positions', torch.arange(length))

    def forward(self, x):
        t = x.shape[1]
        h = self.embed(x) + self.position(self.positions[:t])
        return self.head(self.encoder(h, mask=self.mask[:t, :t]))


class CharLSTM(nn.Module):
    def __init__(self, vocab, hidden=256):
        super().__init__()
        self.embed = nn.Embedding(vocab, 64)
        self.lstm = nn.LSTM(64, hidden, batch_first=True)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, x):
        return self.head(self.lstm(self.embed(x))[0])


def bar(done, total, width=24):
    filled = round(done / total * width)
    return '[' + '#' * filled + '.' * (width - filled) + ']'


def held_out_loss(model, x, y):
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for i in range(0, x.shape[0], 1024):
            logits = model(x[i:i + 1024])
            t = y[i:i + 1024]
            total += F.cross_entropy(logits.reshape(-1, logits.shape[-1]), t.reshape(-1), ignore_index=IGNORE, reduction='sum').item()
            count += int((t != IGNORE).sum())
    model.train()
    return total / count


def sample(model, n):
    model.eval()
    words = []
    with torch.no_grad():
        for _ in range(n):
            seq = [BOUNDARY]
            while len(seq) <= MAX_LETTERS:
                probs = F.softmax(model(torch.tensor([seq]))[0, -1], dim=-1)
                c = int(torch.multinomial(probs, 1))
                if c == BOUNDARY:
                    break
                seq.append(c)
            words.append(''.join(LETTERS[c - 1] for c in seq[1:]))
    model.train()
    return words


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--lstm', action='store_true')
    p.add_argument('--epochs', type=int, default=1)
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--batch', type=int, default=128)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    words = load_words()
    order = torch.randperm(len(words))
    words = [words[i] for i in order.tolist()]
    held = len(words) // 10
    test_x, test_y = encode(words[:held])
    train_x, train_y = encode(words[held:])
    vocab = len(LETTERS) + 1
    model = CharLSTM(vocab) if args.lstm else CharTransformer(vocab)
    params = sum(p.numel() for p in model.parameters())
    print(f'text: {train_x.shape[0]} training and {test_x.shape[0]} held-out words, {"LSTM" if args.lstm else "transformer"} with {params} parameters, Adam')
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    steps = math.ceil(train_x.shape[0] / args.batch)
    start = time.time()
    for epoch in range(1, args.epochs + 1):
        perm = torch.randperm(train_x.shape[0])
        running, seen = 0.0, 0
        for s in range(steps):
            idx = perm[s * args.batch:(s + 1) * args.batch]
            x, y = train_x[idx], train_y[idx]
            logits = model(x)
            loss = F.cross_entropy(logits.reshape(-1, vocab), y.reshape(-1), ignore_index=IGNORE)
            opt.zero_grad()
            loss.backward()
            opt.step()
            running += loss.item()
            seen += 1
            if s % 50 == 0 or s == steps - 1:
                sys.stdout.write(f'\repoch {epoch} {bar(s + 1, steps)} loss {running / seen:.3f} {time.time() - start:.0f}s')
                sys.stdout.flush()
        print(f'\repoch {epoch} {bar(steps, steps)} train loss {running / seen:.3f}, held-out loss {held_out_loss(model, test_x, test_y):.3f} nats/char, {time.time() - start:.0f}s')
    print('samples: ' + ' '.join(sample(model, 20)))


if __name__ == '__main__':
    main()
