// The framing of a process pool's own channel: a pipe (not Node's IPC channel) that carries
// frames of V8-serialised messages, each behind a header of a marker and its length:
//
//   ┌ 4 bytes: FRAME_MARKER ┬ 4 bytes: length n (LE) ┬ n bytes: v8.serialize(message) ┐
//
// Why not the IPC channel with `serialization: 'advanced'`: Node deserialises each message inside
// its own channel parser, where a value that serialises but cannot be read back (an Error whose
// cause is itself) throws uncaught and kills the parent; and code in a call can `process.send()`
// anything onto it. Here both ends deserialise themselves, so a frame that cannot be read is caught
// and reported (its calls alone fail), and bytes that are not a frame are skipped.

import { DefaultSerializer, deserialize } from 'node:v8';

/** The child's fd of the pool's channel (0-2: stdio, 3: Node's IPC, 4: the guard socket). */
export const CHANNEL_FD = 5;

const FRAME_MARKER = 0xcf0f5eed;
const HEADER_BYTES = 8;
const MARKER_BYTES = Buffer.from([0xed, 0x5e, 0x0f, 0xcf]); // FRAME_MARKER, little-endian

const BLANK_HEADER = new Uint8Array(HEADER_BYTES);

/** A message as one frame; throws if a value in it cannot be serialised. */
export function encodeFrame(message: unknown): Buffer {
  // What v8.serialize() does, behind room for the header: the frame is one buffer, never copied.
  const serializer = new DefaultSerializer();
  serializer.writeRawBytes(BLANK_HEADER);
  serializer.writeHeader();
  serializer.writeValue(message);
  const frame = serializer.releaseBuffer();
  frame.writeUInt32LE(FRAME_MARKER, 0);
  frame.writeUInt32LE(frame.length - HEADER_BYTES, 4);
  return frame;
}

/**
 * Reassembles frames from a byte stream. `onMessage` gets each message that was read back;
 * `onUnreadable` is called for a whole frame whose body could not be deserialised.
 */
export class FrameReader {
  // Chunks received and not yet parsed, joined only once a whole frame is there: joining at every
  // chunk would copy a large frame (100 MB arrives in thousands of 64 KB chunks) over and over.
  #chunks: Buffer[] = [];
  #buffered = 0;
  #needed = HEADER_BYTES; // bytes to wait for before parsing again
  readonly #onMessage: (message: unknown) => void;
  readonly #onUnreadable: () => void;

  constructor(onMessage: (message: unknown) => void, onUnreadable: () => void) {
    this.#onMessage = onMessage;
    this.#onUnreadable = onUnreadable;
  }

  push(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    if (this.#buffered < this.#needed) return;
    const data =
      this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks, this.#buffered);
    let offset = 0;
    let needed = HEADER_BYTES;
    while (data.length - offset >= HEADER_BYTES) {
      if (data.readUInt32LE(offset) !== FRAME_MARKER) {
        // Not a frame: skip to the next marker (or keep the last bytes, a marker may be split).
        const next = data.indexOf(MARKER_BYTES, offset + 1);
        if (next === -1) {
          offset = Math.max(offset + 1, data.length - (MARKER_BYTES.length - 1));
          break;
        }
        offset = next;
        continue;
      }
      const end = offset + HEADER_BYTES + data.readUInt32LE(offset + 4);
      if (data.length < end) {
        needed = end - offset;
        break;
      }
      const body = data.subarray(offset + HEADER_BYTES, end);
      offset = end;
      let message: unknown;
      try {
        message = deserialize(body);
      } catch {
        this.#onUnreadable();
        continue;
      }
      if (
        typeof message === 'object' &&
        message !== null &&
        typeof (message as { t?: unknown }).t === 'string'
      )
        this.#onMessage(message);
    }
    const rest = offset < data.length ? data.subarray(offset) : undefined;
    this.#chunks = rest === undefined ? [] : [rest];
    this.#buffered = rest === undefined ? 0 : rest.length;
    this.#needed = needed;
  }
}
