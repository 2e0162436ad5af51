/**
 * Python's pickle, the subset torch.save writes: a restricted unpickler (a stack machine over data opcodes only; every
 * global, call and persistent id goes through hooks the caller supplies, so no code runs) and a pickler that writes
 * protocol 2 with only the opcodes PyTorch 1.13's weights_only unpickler reads (plus BINFLOAT for Python floats).
 */

/** A Python tuple while unpickling (the result turns tuples into arrays). */
export class PyTuple {
  constructor(readonly items: unknown[]) {}
}

/** A Python dict while unpickling and pickling: entries in insertion order, keys of any Python type. */
export class PyDict {
  constructor(
    readonly entries: [unknown, unknown][] = [],
    /** Written as collections.OrderedDict (what Module.state_dict() returns) rather than a plain dict. */
    readonly ordered = false,
  ) {}
}

/** A Python float to pickle (a JS number that is an integer is pickled as a Python int unless wrapped). */
export class PyFloat {
  constructor(readonly value: number) {}
}

/** A global (module.name) to pickle. */
export class PyGlobal {
  constructor(readonly module: string, readonly name: string) {}
}

/** fn(*args) to pickle (REDUCE). */
export class PyReduce {
  constructor(readonly fn: PyGlobal, readonly args: PyTuple) {}
}

/** A persistent id (BINPERSID): how torch.save refers to a storage record. */
export class PyPersistent {
  constructor(readonly pid: PyTuple) {}
}

/** What the unpickler asks its caller: it never imports, calls or builds anything itself. */
export interface UnpickleHooks {
  /** The value a GLOBAL stands for; throws for a global that is not allowed. */
  global(module: string, name: string): unknown;
  /** fn(*args) for REDUCE, or cls(*args) for NEWOBJ; throws for anything not allowed. */
  call(fn: unknown, args: unknown[], opcode: 'REDUCE' | 'NEWOBJ'): unknown;
  /** BUILD: sets an object's state; throws for anything not allowed. */
  build(obj: unknown, state: unknown): void;
  /** BINPERSID: the object a persistent id names. */
  persistentLoad(pid: unknown): unknown;
}

function opName(code: number): string {
  return `0x${code.toString(16).padStart(2, '0')}${code >= 0x20 && code < 0x7f ? ` ('${String.fromCharCode(code)}')` : ''}`;
}

/** A little-endian two's complement integer of any length: a number when it is safe, else a bigint. */
function decodeLong(bytes: Uint8Array): number | bigint {
  if (bytes.length === 0) return 0;
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
  if (bytes[bytes.length - 1]! & 0x80) v -= 1n << BigInt(8 * bytes.length);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/**
 * Runs a pickle program over data opcodes, with `hooks` for everything that would touch code.
 * @param what names the input in errors ("torch.load: <what> ...")
 * @throws Error naming the opcode and byte offset for anything malformed or unsupported
 */
export function unpickle(bytes: Uint8Array, hooks: UnpickleHooks, what: string): unknown {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  let pos = 0;
  let stack: unknown[] = [];
  const metastack: unknown[][] = [];
  const memo = new Map<number, unknown>();
  const fail = (why: string): Error => new Error(`torch.load: ${what} is not a valid pickle: ${why} (at byte ${pos})`);
  const need = (n: number): number => {
    if (n < 0 || pos + n > bytes.length) throw fail(`it ends inside an opcode's argument (${n} more bytes needed)`);
    const at = pos;
    pos += n;
    return at;
  };
  const take = (n: number): Uint8Array => bytes.subarray(need(n), pos);
  const line = (): string => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) throw fail('a text argument has no end of line');
    return utf8.decode(take(end - pos + 1).subarray(0, -1));
  };
  const text = (n: number): string => {
    try {
      return utf8.decode(take(n));
    } catch {
      throw fail('a string is not valid UTF-8');
    }
  };
  const pop = (): unknown => {
    if (stack.length === 0) throw fail('the stack is empty');
    return stack.pop();
  };
  const top = (): unknown => {
    if (stack.length === 0) throw fail('the stack is empty');
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const items = stack;
    const prev = metastack.pop();
    if (!prev) throw fail('an opcode needs a MARK but there is none');
    stack = prev;
    return items;
  };
  const list = (): unknown[] => {
    const l = top();
    if (!Array.isArray(l)) throw fail('can only append to lists');
    return l;
  };
  const dict = (): PyDict => {
    const d = top();
    if (!(d instanceof PyDict)) throw fail('can only set items of dicts');
    return d;
  };
  const setItem = (d: PyDict, k: unknown, v: unknown): void => {
    // Python replaces the value of a key already present (keys compare by value for the hashable scalars).
    const at = d.entries.findIndex(([key]) => key === k && (typeof k !== 'object' || k === null));
    if (at >= 0 && (typeof k !== 'object' || k === null)) d.entries[at]![1] = v;
    else d.entries.push([k, v]);
  };
  const getMemo = (i: number): unknown => {
    if (!memo.has(i)) throw fail(`memo entry ${i} is read before it is written`);
    return memo.get(i);
  };
  for (;;) {
    if (pos >= bytes.length) throw fail('it ends without a STOP opcode');
    const code = bytes[pos++]!;
    switch (code) {
      case 0x80: // PROTO
        need(1);
        break;
      case 0x95: // FRAME
        need(8);
        break;
      case 0x2e: // STOP
        if (stack.length !== 1 || metastack.length !== 0) throw fail(`STOP leaves ${stack.length} values on the stack`);
        return pop();
      case 0x28: // MARK
        metastack.push(stack);
        stack = [];
        break;
      case 0x30: // POP
        if (stack.length === 0) popMark();
        else pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4a: // BININT
        stack.push(view.getInt32(need(4), true));
        break;
      case 0x4b: // BININT1
        stack.push(bytes[need(1)]);
        break;
      case 0x4d: // BININT2
        stack.push(view.getUint16(need(2), true));
        break;
      case 0x8a: // LONG1
        stack.push(decodeLong(take(bytes[need(1)]!)));
        break;
      case 0x8b: // LONG4
        stack.push(decodeLong(take(view.getInt32(need(4), true))));
        break;
      case 0x47: // BINFLOAT (big-endian double)
        stack.push(view.getFloat64(need(8), false));
        break;
      case 0x58: // BINUNICODE
        stack.push(text(view.getUint32(need(4), true)));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(text(bytes[need(1)]!));
        break;
      case 0x8d: {
        // BINUNICODE8
        const n = view.getBigUint64(need(8), true);
        if (n > BigInt(bytes.length)) throw fail('a string is longer than the pickle');
        stack.push(text(Number(n)));
        break;
      }
      case 0x55: // SHORT_BINSTRING (torch.load decodes Python 2 strings as UTF-8)
        stack.push(text(bytes[need(1)]!));
        break;
      case 0x54: // BINSTRING
        stack.push(text(view.getInt32(need(4), true)));
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push(new PyTuple([]));
        break;
      case 0x74: {
        // TUPLE (popMark replaces the stack, so it runs before the push is looked up)
        const items = popMark();
        stack.push(new PyTuple(items));
        break;
      }
      case 0x85: // TUPLE1
        stack.push(new PyTuple([pop()]));
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        stack.push(new PyTuple([pop(), b]));
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        stack.push(new PyTuple([pop(), b, c]));
        break;
      }
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x6c: {
        // LIST
        const items = popMark();
        stack.push(items);
        break;
      }
      case 0x61: {
        // APPEND
        const v = pop();
        list().push(v);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        list().push(...items);
        break;
      }
      case 0x7d: // EMPTY_DICT
        stack.push(new PyDict());
        break;
      case 0x64: {
        // DICT
        const items = popMark();
        const d = new PyDict();
        for (let i = 0; i + 1 < items.length; i += 2) setItem(d, items[i], items[i + 1]);
        stack.push(d);
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        setItem(dict(), k, v);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        if (items.length % 2) throw fail('SETITEMS has an odd number of items');
        const d = dict();
        for (let i = 0; i < items.length; i += 2) setItem(d, items[i], items[i + 1]);
        break;
      }
      case 0x63: {
        // GLOBAL
        const module = line();
        stack.push(hooks.global(module, line()));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') throw fail('STACK_GLOBAL needs two strings');
        stack.push(hooks.global(module, name));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        const fn = pop();
        if (!(args instanceof PyTuple)) throw fail('REDUCE needs a tuple of arguments');
        stack.push(hooks.call(fn, args.items, 'REDUCE'));
        break;
      }
      case 0x81: {
        // NEWOBJ
        const args = pop();
        const cls = pop();
        if (!(args instanceof PyTuple)) throw fail('NEWOBJ needs a tuple of arguments');
        stack.push(hooks.call(cls, args.items, 'NEWOBJ'));
        break;
      }
      case 0x62: {
        // BUILD
        const state = pop();
        hooks.build(top(), state);
        break;
      }
      case 0x51: // BINPERSID
        stack.push(hooks.persistentLoad(pop()));
        break;
      case 0x71: // BINPUT
        memo.set(bytes[need(1)]!, top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(view.getUint32(need(4), true), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x68: // BINGET
        stack.push(getMemo(bytes[need(1)]!));
        break;
      case 0x6a: // LONG_BINGET
        stack.push(getMemo(view.getUint32(need(4), true)));
        break;
      default:
        pos--;
        throw fail(`opcode ${opName(code)} is not supported (torchlet reads the data opcodes torch.save writes)`);
    }
  }
}

/** What the pickler writes: JS scalars, arrays (Python lists) and the Py* classes above. */
export type PickleOut = null | boolean | number | bigint | string | PickleOut[] | PyTuple | PyDict | PyFloat | PyGlobal | PyReduce | PyPersistent;

/**
 * Pickles `value` with protocol 2, using only opcodes PyTorch 1.13's weights_only unpickler reads (BINFLOAT aside,
 * which it lacks: a Python float can be written no other way). Globals are memoized, as Python's pickler does.
 * @throws TypeError for a value that refers to itself
 */
export function pickle(value: PickleOut): Uint8Array {
  const chunks: Uint8Array[] = [];
  const out = (...b: number[]): void => void chunks.push(Uint8Array.from(b));
  const raw = (n: number, fill: (b: Buffer) => void): void => {
    const b = Buffer.alloc(n);
    fill(b);
    chunks.push(b);
  };
  const memo = new Map<string, number>();
  const put = (i: number): void => (i < 256 ? out(0x71, i) : raw(5, (b) => (b.writeUInt8(0x72, 0), b.writeUInt32LE(i, 1))));
  const get = (i: number): void => (i < 256 ? out(0x68, i) : raw(5, (b) => (b.writeUInt8(0x6a, 0), b.writeUInt32LE(i, 1))));
  const active = new Set<object>();
  const writeInt = (v: bigint): void => {
    if (v >= 0n && v < 256n) out(0x4b, Number(v));
    else if (v >= 0n && v < 65536n) raw(3, (b) => (b.writeUInt8(0x4d, 0), b.writeUInt16LE(Number(v), 1)));
    else if (v >= -(2n ** 31n) && v < 2n ** 31n) raw(5, (b) => (b.writeUInt8(0x4a, 0), b.writeInt32LE(Number(v), 1)));
    else {
      const bytes: number[] = [];
      let x = v;
      // Two's complement, little-endian, as short as the sign allows.
      for (;;) {
        bytes.push(Number(x & 0xffn));
        x >>= 8n;
        const last = bytes[bytes.length - 1]!;
        if ((x === 0n && !(last & 0x80)) || (x === -1n && last & 0x80)) break;
      }
      out(0x8a, bytes.length, ...bytes);
    }
  };
  const write = (v: PickleOut): void => {
    if (v === null) return out(0x4e);
    if (v === true) return out(0x88);
    if (v === false) return out(0x89);
    if (typeof v === 'bigint') return writeInt(v);
    if (typeof v === 'number') {
      if (Number.isSafeInteger(v) && !Object.is(v, -0)) return writeInt(BigInt(v));
      return write(new PyFloat(v));
    }
    if (typeof v === 'string') {
      const s = Buffer.from(v, 'utf8');
      raw(5, (b) => (b.writeUInt8(0x58, 0), b.writeUInt32LE(s.length, 1)));
      chunks.push(s);
      return;
    }
    if (v instanceof PyFloat) return raw(9, (b) => (b.writeUInt8(0x47, 0), b.writeDoubleBE(v.value, 1)));
    if (v instanceof PyGlobal) {
      const key = `${v.module}\n${v.name}\n`;
      const at = memo.get(key);
      if (at !== undefined) return get(at);
      out(0x63);
      chunks.push(Buffer.from(key, 'utf8'));
      memo.set(key, memo.size);
      return put(memo.size - 1);
    }
    if (active.has(v)) throw new TypeError('torch.save: the object refers to itself (a cycle), which cannot be saved');
    active.add(v);
    if (Array.isArray(v)) {
      out(0x5d);
      // Python's pickler batches appends by 1000.
      for (let i = 0; i < v.length; i += 1000) {
        out(0x28);
        for (const x of v.slice(i, i + 1000)) write(x);
        out(0x65);
      }
    } else if (v instanceof PyTuple) {
      const n = v.items.length;
      if (n === 0) out(0x29);
      else if (n > 3) out(0x28);
      for (const x of v.items) write(x as PickleOut);
      if (n > 3) out(0x74);
      else if (n > 0) out([0x85, 0x86, 0x87][n - 1]!);
    } else if (v instanceof PyDict) {
      if (v.ordered) {
        write(new PyGlobal('collections', 'OrderedDict'));
        out(0x29, 0x52);
      } else {
        out(0x7d);
      }
      for (let i = 0; i < v.entries.length; i += 1000) {
        out(0x28);
        for (const [k, x] of v.entries.slice(i, i + 1000)) {
          write(k as PickleOut);
          write(x as PickleOut);
        }
        out(0x75);
      }
    } else if (v instanceof PyReduce) {
      write(v.fn);
      write(v.args);
      out(0x52);
    } else if (v instanceof PyPersistent) {
      write(v.pid);
      out(0x51);
    }
    active.delete(v);
  };
  out(0x80, 2);
  write(value);
  out(0x2e);
  return Buffer.concat(chunks);
}
