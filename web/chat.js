// The room's chat on top of SwitchboardClient's data channels: LiveKit ChatMessage packets
// (what we send), `lk.chat` text streams (what SDK users send with send_text), read receipts as
// user packets on `lk.chat.read`. The server keeps the history and sends it when we join
// (docs/api.md, "Chat history").

import { decodeDataPacket, encodeChatMessage, encodeUserPacket, streamText } from './data-packets.js';

const CHAT_TOPIC = 'lk.chat';
const RECEIPT_TOPIC = 'lk.chat.read';
const DELETE = 2; // DataStream.OperationType.DELETE

/**
 * Events: `message` {id, identity, text, timestamp, edited, mine} (also for edits, same id),
 * `deleted` {id}, `receipt` {identity, id}.
 */
export class Chat extends EventTarget {
  constructor(client) {
    super();
    this.client = client;
    this.messages = new Map(); // id -> message, in arrival order
    this.receipts = new Map(); // identity -> last message id read
    this._streams = new Map(); // stream id -> {header, identity, chunks}
    client.addEventListener('data', (e) => this._onData(e.detail).catch((err) => console.warn('switchboard: chat', err)));
  }

  get me() { return this.client.localParticipant?.identity || ''; }

  async send(text) {
    const message = { id: crypto.randomUUID(), identity: this.me, text, timestamp: Date.now(), edited: false, mine: true };
    await this.client.sendData(encodeChatMessage({ id: message.id, timestamp: message.timestamp, message: text }));
    this._put(message);
    return message.id;
  }


  /** Deletes one of our messages for everyone. */
  async remove(id) {
    const message = this.messages.get(id);
    if (!message?.mine) throw new Error('only your own messages can be deleted');
    await this.client.sendData(encodeChatMessage({ id, timestamp: message.timestamp, deleted: true }));
    this._delete(id, this.me);
  }

  /** Tells the others we have read everything up to `id`. */
  async markRead(id) {
    if (this.receipts.get(this.me) === id) return;
    this.receipts.set(this.me, id);
    await this.client.sendData(encodeUserPacket({ payload: new TextEncoder().encode(id), topic: RECEIPT_TOPIC }));
  }

  async _onData({ bytes }) {
    const packet = decodeDataPacket(bytes);
    const identity = packet.identity;
    if (packet.chat) {
      const { id, message, timestamp, editTimestamp, deleted } = packet.chat;
      if (deleted) this._delete(id, identity);
      else this._put({ id, identity, text: message, timestamp, edited: editTimestamp > 0, mine: identity === this.me });
    } else if (packet.user?.topic === RECEIPT_TOPIC) {
      const id = new TextDecoder().decode(packet.user.payload);
      this.receipts.set(identity, id);
      this._emit('receipt', { identity, id });
    } else if (packet.streamHeader?.topic === CHAT_TOPIC && packet.streamHeader.isText) {
      const header = packet.streamHeader;
      if (header.inline) await this._finishStream(header, identity, [header.inline]);
      else if (!this._streams.has(header.streamId)) this._streams.set(header.streamId, { header, identity, chunks: [] });
    } else if (packet.streamChunk) {
      // Only the stream's sender adds to it.
      const stream = this._streams.get(packet.streamChunk.streamId);
      if (stream?.identity === identity) stream.chunks.push(packet.streamChunk.content);
    } else if (packet.streamTrailer) {
      const stream = this._streams.get(packet.streamTrailer.streamId);
      if (stream?.identity !== identity) return;
      this._streams.delete(packet.streamTrailer.streamId);
      await this._finishStream(stream.header, stream.identity, stream.chunks);
    }
  }

  async _finishStream(header, identity, chunks) {
    if (header.operation === DELETE) { this._delete(header.streamId, identity); return; }
    const text = await streamText(chunks, header.compression);
    this._put({ id: header.streamId, identity, text, timestamp: header.timestamp, edited: false, mine: identity === this.me });
  }

  _put(message) {
    const known = this.messages.get(message.id);
    if (known && known.identity !== message.identity) return; // only its sender edits a message
    // The same message again (history after a rejoin) is not an edit; new text is.
    this.messages.set(message.id, { ...message, edited: message.edited || known?.edited || (!!known && known.text !== message.text) });
    this._emit('message', this.messages.get(message.id));
  }

  /** A deletion counts from the message's sender, or from the server (no identity: the app backend). */
  _delete(id, by = null) {
    const message = this.messages.get(id);
    if (!message || (by && by !== message.identity)) return;
    this.messages.delete(id);
    this._emit('deleted', { id });
  }

  _emit(type, detail) { this.dispatchEvent(new CustomEvent(type, { detail })); }
}
