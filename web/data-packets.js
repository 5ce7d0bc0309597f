// LiveKit DataPackets (livekit_models.proto) in protobuf's binary form, as they travel on the
// data channels: only the fields the demo page uses. The signalling socket speaks protobuf JSON,
// but data channel messages are always binary DataPackets.
//
// DataPacket: participant_identity 4, destination_identities 5, user 2, chat_message 9,
//   stream_header 13, stream_chunk 14, stream_trailer 15, participant_sid 17.
// ChatMessage: id 1, timestamp 2, edit_timestamp 3, message 4, deleted 5.
// UserPacket: payload 2, topic 4.
// DataStream.Header: stream_id 1, timestamp 2, topic 3, attributes 8 (map), text_header 9,
//   inline_content 11, compression 12 (1 = DEFLATE_RAW). TextHeader: operation_type 1.
// DataStream.Chunk: stream_id 1, content 3. DataStream.Trailer: stream_id 1.

const utf8 = new TextEncoder();
const fromUTF8 = new TextDecoder();

// MARK: Writing

class Writer {
  constructor() { this.bytes = []; }
  varint(n) {
    let v = BigInt(n);
    do {
      let b = Number(v & 0x7fn);
      v >>= 7n;
      if (v > 0n) b |= 0x80;
      this.bytes.push(b);
    } while (v > 0n);
  }
  tag(field, wire) { this.varint((field << 3) | wire); }
  uint(field, n) { if (n) { this.tag(field, 0); this.varint(n); } }
  bool(field, b) { if (b) { this.tag(field, 0); this.varint(1); } }
  bytesField(field, bytes) { this.tag(field, 2); this.varint(bytes.length); for (const b of bytes) this.bytes.push(b); }
  string(field, s) { if (s) this.bytesField(field, utf8.encode(s)); }
  message(field, writeBody) { const w = new Writer(); writeBody(w); this.bytesField(field, w.bytes); }
  finish() { return new Uint8Array(this.bytes); }
}

/** A ChatMessage packet: a new message, or (deleted) the deletion of one of ours. */
export function encodeChatMessage({ id, timestamp = Date.now(), message = '', deleted = false }) {
  const w = new Writer();
  w.message(9, (c) => { c.string(1, id); c.uint(2, timestamp); c.string(4, message); c.bool(5, deleted); });
  return w.finish();
}

/** A user packet (payload bytes, topic), e.g. a read receipt on `lk.chat.read`. */
export function encodeUserPacket({ payload, topic }) {
  const w = new Writer();
  w.message(2, (u) => { u.bytesField(2, payload); u.string(4, topic); });
  return w.finish();
}

// MARK: Reading

class Reader {
  constructor(bytes) { this.bytes = bytes; this.pos = 0; }
  get done() { return this.pos >= this.bytes.length; }
  varint() {
    let result = 0n, shift = 0n;
    for (;;) {
      if (this.pos >= this.bytes.length || shift > 63n) throw new Error('bad varint');
      const b = this.bytes[this.pos++];
      result |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return result;
      shift += 7n;
    }
  }
  /** Calls visit(field, wireType, value) per field: value is a Number/BigInt or a Uint8Array. */
  each(visit) {
    while (!this.done) {
      const key = Number(this.varint());
      const field = key >>> 3, wire = key & 7;
      if (wire === 0) visit(field, wire, this.varint());
      else if (wire === 2) {
        const n = Number(this.varint());
        if (this.pos + n > this.bytes.length) throw new Error('truncated');
        visit(field, wire, this.bytes.subarray(this.pos, this.pos + n));
        this.pos += n;
      } else if (wire === 1) this.pos += 8;
      else if (wire === 5) this.pos += 4;
      else throw new Error(`wire type ${wire}`);
    }
  }
}

const str = (b) => fromUTF8.decode(b);

function decodeFields(bytes, handlers) {
  new Reader(bytes).each((field, wire, value) => handlers[field]?.(value));
}

/**
 * Decodes what the page cares about: `{ identity, chat?, user?, streamHeader?, streamChunk?,
 * streamTrailer? }`. Throws on bytes that are not protobuf.
 */
export function decodeDataPacket(bytes) {
  const packet = { identity: '' };
  decodeFields(bytes, {
    4: (v) => { packet.identity = str(v); },
    2: (v) => {
      const user = { topic: '', payload: new Uint8Array() };
      decodeFields(v, { 2: (p) => { user.payload = p.slice(); }, 4: (t) => { user.topic = str(t); } });
      packet.user = user;
    },
    9: (v) => {
      const chat = { id: '', timestamp: 0, editTimestamp: 0, message: '', deleted: false };
      decodeFields(v, {
        1: (x) => { chat.id = str(x); }, 2: (x) => { chat.timestamp = Number(x); },
        3: (x) => { chat.editTimestamp = Number(x); }, 4: (x) => { chat.message = str(x); },
        5: (x) => { chat.deleted = x !== 0n; },
      });
      packet.chat = chat;
    },
    13: (v) => {
      const h = { streamId: '', timestamp: 0, topic: '', attributes: {}, operation: 0, inline: null, compression: 0, isText: false };
      decodeFields(v, {
        1: (x) => { h.streamId = str(x); }, 2: (x) => { h.timestamp = Number(x); }, 3: (x) => { h.topic = str(x); },
        8: (entry) => {
          let key = '', value = '';
          decodeFields(entry, { 1: (k) => { key = str(k); }, 2: (val) => { value = str(val); } });
          h.attributes[key] = value;
        },
        9: (t) => { h.isText = true; decodeFields(t, { 1: (op) => { h.operation = Number(op); } }); },
        11: (x) => { h.inline = x.slice(); }, 12: (x) => { h.compression = Number(x); },
      });
      packet.streamHeader = h;
    },
    14: (v) => {
      const c = { streamId: '', content: new Uint8Array() };
      decodeFields(v, { 1: (x) => { c.streamId = str(x); }, 3: (x) => { c.content = x.slice(); } });
      packet.streamChunk = c;
    },
    15: (v) => {
      const t = { streamId: '' };
      decodeFields(v, { 1: (x) => { t.streamId = str(x); } });
      packet.streamTrailer = t;
    },
  });
  return packet;
}

/** Concatenates chunks and inflates DEFLATE_RAW text streams (the browser's own decompressor). */
export async function streamText(chunks, compression) {
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const all = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) { all.set(c, offset); offset += c.length; }
  if (compression !== 1) return str(all);
  const inflated = new Blob([all]).stream().pipeThrough(new DecompressionStream('deflate-raw'));
  return await new Response(inflated).text();
}
