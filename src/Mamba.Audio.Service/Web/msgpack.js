// The subset of MessagePack this protocol uses (docs/PROTOCOL.md): maps with string keys whose values
// are nil, booleans, integers, floats, strings and binary. Hand-written and small so that the page
// has no build step and no dependencies; decode refuses anything else rather than guessing.
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder('utf-8', { fatal: true });

export function encode(map) {
  const parts = [];
  const push = (...bytes) => parts.push(Uint8Array.from(bytes));
  const entries = Object.entries(map).filter(([, v]) => v !== undefined);
  if (entries.length > 15) throw new Error('at most 15 fields');
  push(0x80 | entries.length);
  const str = (s) => {
    const b = utf8.encode(s);
    if (b.length < 32) push(0xa0 | b.length); else if (b.length < 256) push(0xd9, b.length); else throw new Error('string too long');
    parts.push(b);
  };
  for (const [k, v] of entries) {
    str(k);
    if (v === null) push(0xc0);
    else if (v === true || v === false) push(v ? 0xc3 : 0xc2);
    else if (typeof v === 'string') str(v);
    else if (v instanceof Uint8Array) {
      const n = v.length;
      if (n < 256) push(0xc4, n); else if (n < 65536) push(0xc5, n >> 8, n & 255); else push(0xc6, n >>> 24, (n >> 16) & 255, (n >> 8) & 255, n & 255);
      parts.push(v);
    } else if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffffffff) {
      if (v < 128) push(v); else if (v < 65536) push(0xcd, v >> 8, v & 255); else push(0xce, v >>> 24, (v >> 16) & 255, (v >> 8) & 255, v & 255);
    } else if (typeof v === 'number') {
      const b = new Uint8Array(9); b[0] = 0xcb; new DataView(b.buffer).setFloat64(1, v); parts.push(b);
    } else throw new Error('cannot encode ' + typeof v);
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

export function decode(buffer) {
  const bytes = new Uint8Array(buffer);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  const need = (n) => { if (at + n > bytes.length) throw new Error('truncated message'); };
  const u8 = () => { need(1); return bytes[at++]; };
  const take = (n) => { need(n); const s = bytes.subarray(at, at + n); at += n; return s; };
  const value = () => {
    const t = u8();
    if (t < 0x80) return t;
    if (t >= 0xe0) return t - 256;
    if ((t & 0xe0) === 0xa0) return fromUtf8.decode(take(t & 31));
    switch (t) {
      case 0xc0: return null;
      case 0xc2: return false;
      case 0xc3: return true;
      case 0xc4: return take(u8()).slice();
      case 0xc5: need(2); { const n = view.getUint16(at); at += 2; return take(n).slice(); }
      case 0xc6: need(4); { const n = view.getUint32(at); at += 4; return take(n).slice(); }
      case 0xca: need(4); { const v = view.getFloat32(at); at += 4; return v; }
      case 0xcb: need(8); { const v = view.getFloat64(at); at += 8; return v; }
      case 0xcc: return u8();
      case 0xcd: need(2); { const v = view.getUint16(at); at += 2; return v; }
      case 0xce: need(4); { const v = view.getUint32(at); at += 4; return v; }
      case 0xcf: need(8); { const v = Number(view.getBigUint64(at)); at += 8; return v; }
      case 0xd0: need(1); { const v = view.getInt8(at); at += 1; return v; }
      case 0xd1: need(2); { const v = view.getInt16(at); at += 2; return v; }
      case 0xd2: need(4); { const v = view.getInt32(at); at += 4; return v; }
      case 0xd3: need(8); { const v = Number(view.getBigInt64(at)); at += 8; return v; }
      case 0xd9: return fromUtf8.decode(take(u8()));
      case 0xda: need(2); { const n = view.getUint16(at); at += 2; return fromUtf8.decode(take(n)); }
      default: throw new Error('unexpected MessagePack byte 0x' + t.toString(16));
    }
  };
  const t = u8();
  let n;
  if ((t & 0xf0) === 0x80) n = t & 15; else if (t === 0xde) { need(2); n = view.getUint16(at); at += 2; } else throw new Error('a message is a map');
  const map = {};
  for (let i = 0; i < n; i++) { const k = value(); if (typeof k !== 'string') throw new Error('keys are strings'); map[k] = value(); }
  return map;
}
