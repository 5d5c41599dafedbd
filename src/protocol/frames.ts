// The framing of a process pool's own channel: a pipe (not Node's IPC channel) that carries
// frames of V8-serialised messages, each behind a header of a marker, its length and a key:
//
//   ┌ 4 bytes: FRAME_MARKER ┬ 4 bytes: length n (LE) ┬ 8 bytes: key ┬ n bytes: v8.serialize(message) ┐
//
// The key is the child's: 64 random bits the pool sends it in its 'init' message, which a child
// stamps on every frame it sends, and the pool reads only frames that carry it. A call runs in the
// child and can write to the pipe (fd 5): without the key, eight bytes that look like a header
// with a large length swallowed the frames after them and hung the pool, and a well-formed frame
// it forged ('done', 'handBack') was taken for the runtime's. (Bytes a call writes into the middle
// of a large frame while it is being written still corrupt that frame: the pool reads it as
// unreadable, and only its calls fail.) The pool's frames to a child carry no key (zeros): nothing
// but the pool writes to the child's end.
//
// Why not the IPC channel with `serialization: 'advanced'`: Node deserialises each message inside
// its own channel parser, where a value that serialises but cannot be read back (an Error whose
// cause is itself) throws uncaught and kills the parent; and code in a call can `process.send()`
// anything onto it. Here both ends deserialise themselves, so a frame that cannot be read is caught
// and reported (its calls alone fail), and bytes that are not a frame are skipped.

import { DefaultDeserializer, DefaultSerializer, Deserializer as BaseDeserializer } from 'node:v8';
import {
  NativeUint8Array,
  ObjectDefineProperty,
  ObjectGetOwnPropertyDescriptor,
  ObjectGetPrototypeOf,
  ReflectApply,
  SafeMap,
  makeSafe,
  uncurryThis,
} from '../worker/intrinsics.js';

// The child runs calls in its own realm, and a call may replace what framing uses (v8's
// Serializer.prototype methods, Buffer.prototype.readUInt32LE, Buffer.concat): the child's channel
// would then fail or go deaf. So framing uses copies taken at load (see worker/intrinsics.ts).
const Serializer = makeSafe(DefaultSerializer);
// DefaultDeserializer's own constructor is implicit (it spreads its arguments): built by its parent's.
const Deserializer = makeSafe(DefaultDeserializer, BaseDeserializer);
const bufferConcat = Buffer.concat;
const bufferFrom = Buffer.from;
const writeUInt32LE = uncurryThis(Buffer.prototype.writeUInt32LE) as (
  buffer: Buffer,
  value: number,
  offset: number,
) => number;
const readUInt32LE = uncurryThis(Buffer.prototype.readUInt32LE) as (
  buffer: Buffer,
  offset: number,
) => number;
const indexOf = uncurryThis(Buffer.prototype.indexOf) as (
  buffer: Buffer,
  value: Uint8Array,
  offset: number,
) => number;
const subarray = uncurryThis(Uint8Array.prototype.subarray) as (
  buffer: Buffer,
  start: number,
  end?: number,
) => Buffer;

// Node's deserializer reads a typed array, a Buffer or a DataView as a view into the frame's own
// bytes whenever the alignment allows: the results of one frame then shared one ArrayBuffer, so
// that moving one result's buffer to a thread emptied another future's result, `.buffer` showed
// other results and protocol bytes, and a 16-byte result kept a 5 MB frame alive. Each view gets
// an ArrayBuffer of its own, as structured clone gives a thread's results.
const TypedArrayPrototype = ObjectGetPrototypeOf(NativeUint8Array.prototype) as object;
const getter = (proto: object, key: string): ((view: object) => unknown) =>
  uncurryThis(ObjectGetOwnPropertyDescriptor(proto, key)!.get!) as (view: object) => unknown;
const typedArrayBuffer = getter(TypedArrayPrototype, 'buffer');
const typedArrayByteOffset = getter(TypedArrayPrototype, 'byteOffset');
const typedArrayByteLength = getter(TypedArrayPrototype, 'byteLength');
const dataViewBuffer = getter(DataView.prototype, 'buffer');
const dataViewByteOffset = getter(DataView.prototype, 'byteOffset');
const dataViewByteLength = getter(DataView.prototype, 'byteLength');
const typedArraySet = uncurryThis(
  (TypedArrayPrototype as { set: (source: ArrayLike<number>) => void }).set,
) as (target: Uint8Array, source: Uint8Array) => void;
const NativeDataView = DataView;
const NativeArrayBuffer = ArrayBuffer;
const BufferPrototype = Buffer.prototype as object;
// By their [[TypedArrayName]], which the toStringTag getter reads from any realm: under jest, Node's
// deserializer builds views with the outer realm's constructors, not this module's.
const typedArrayName = uncurryThis(
  ObjectGetOwnPropertyDescriptor(TypedArrayPrototype, Symbol.toStringTag)!.get!,
) as (view: object) => unknown;
const viewConstructors = new SafeMap<string, new (buffer: ArrayBuffer) => object>();
for (const View of [
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
] as Array<(new (buffer: ArrayBuffer) => object) & { name: string }>)
  viewConstructors.set(View.name, View);

// Node's own reader (not in @types/node): it reads a view's type, length and bytes.
const readViewSharingFrame = (
  DefaultDeserializer.prototype as unknown as { _readHostObject: () => object }
)._readHostObject;

/** The same view over a copy of its bytes, in an ArrayBuffer of its own. */
function ownedView(view: object): object {
  const name = typedArrayName(view) as string | undefined;
  if (name === undefined) {
    // Not a typed array: the one other view Node writes is a DataView.
    const bytes = new NativeUint8Array(
      dataViewBuffer(view) as ArrayBuffer,
      dataViewByteOffset(view) as number,
      dataViewByteLength(view) as number,
    );
    return new NativeDataView(copyOf(bytes));
  }
  const isBuffer = ObjectGetPrototypeOf(view) === BufferPrototype;
  const View = isBuffer ? undefined : viewConstructors.get(name);
  if (!isBuffer && View === undefined) return view; // a kind Node added later: left as it came
  const own = copyOf(
    new NativeUint8Array(
      typedArrayBuffer(view) as ArrayBuffer,
      typedArrayByteOffset(view) as number,
      typedArrayByteLength(view) as number,
    ),
  );
  return isBuffer ? (ReflectApply(bufferFrom, Buffer, [own]) as object) : new View!(own);
}

function copyOf(bytes: Uint8Array): ArrayBuffer {
  const own = new NativeArrayBuffer(bytes.length);
  typedArraySet(new NativeUint8Array(own), bytes);
  return own;
}

ObjectDefineProperty(Deserializer.prototype, '_readHostObject', {
  value(this: InstanceType<typeof Deserializer>): object {
    return ownedView(ReflectApply(readViewSharingFrame, this, []) as object);
  },
});

/**
 * `v8.deserialize(body)`, with the deserializer's methods as they were at load, and every typed
 * array, Buffer and DataView in an ArrayBuffer of its own (see ownedView). The QueueExecutor reads
 * its values with it too: bytes decoded from base64 sit in Node's shared 8 KiB Buffer pool, so a
 * plain v8.deserialize gave views into that pool, which held other jobs' data and Redis traffic.
 */
export function deserialize(body: Buffer): unknown {
  const deserializer = new Deserializer(body);
  deserializer.readHeader();
  return deserializer.readValue();
}

function concatBuffers(chunks: Buffer[], length: number): Buffer {
  return ReflectApply(bufferConcat, Buffer, [chunks, length]) as Buffer;
}

/** Whether `value` survives v8.serialize() then v8.deserialize() (some values serialise, not back). */
export function survivesSerialization(value: unknown): boolean {
  try {
    const serializer = new Serializer();
    serializer.writeHeader();
    serializer.writeValue(value);
    deserialize(serializer.releaseBuffer());
    return true;
  } catch {
    return false;
  }
}

/** The child's fd of the pool's channel (0-2: stdio, 3: Node's IPC, 4: the guard socket). */
export const CHANNEL_FD = 5;

const FRAME_MARKER = 0xcf0f5eed;
const HEADER_BYTES = 16;
const MARKER_BYTES = bufferFrom([0xed, 0x5e, 0x0f, 0xcf]); // FRAME_MARKER, little-endian

const BLANK_HEADER = new Uint8Array(HEADER_BYTES);

/** A child's frame key (see the top of this file), as two 32-bit words. */
export type FrameKey = readonly [number, number];

/**
 * A fresh random key for one worker's messages: a child's frames, a thread's envelopes. From
 * node:crypto, not the global `crypto`, which `--no-experimental-global-webcrypto` removes and a
 * script may replace; loaded on the first worker (~0.1 ms), not at import.
 */
export function newFrameKey(): FrameKey {
  const words = process.getBuiltinModule('node:crypto').randomFillSync(new Uint32Array(2));
  return [words[0]!, words[1]!];
}

const NO_KEY: FrameKey = [0, 0];

/** A message as one frame, stamped with `key`; throws if a value in it cannot be serialised. */
export function encodeFrame(message: unknown, key: FrameKey = NO_KEY): Buffer {
  // What v8.serialize() does, behind room for the header: the frame is one buffer, never copied.
  const serializer = new Serializer();
  serializer.writeRawBytes(BLANK_HEADER);
  serializer.writeHeader();
  serializer.writeValue(message);
  const frame = serializer.releaseBuffer();
  writeUInt32LE(frame, FRAME_MARKER, 0);
  writeUInt32LE(frame, frame.length - HEADER_BYTES, 4);
  writeUInt32LE(frame, key[0], 8);
  writeUInt32LE(frame, key[1], 12);
  return frame;
}

/**
 * Reassembles frames from a byte stream. `onMessage` gets each message that was read back;
 * `onUnreadable` is called for a whole frame whose body could not be deserialised. With a `key`,
 * a header that does not carry it is no frame: its bytes are skipped like any other.
 */
export class FrameReader {
  // Chunks received and not yet parsed, joined only once a whole frame is there: joining at every
  // chunk would copy a large frame (100 MB arrives in thousands of 64 KB chunks) over and over.
  #chunks: Buffer[] = [];
  #buffered = 0;
  #needed = HEADER_BYTES; // bytes to wait for before parsing again
  readonly #onMessage: (message: unknown) => void;
  readonly #onUnreadable: () => void;
  readonly #key: FrameKey | undefined;

  constructor(onMessage: (message: unknown) => void, onUnreadable: () => void, key?: FrameKey) {
    this.#onMessage = onMessage;
    this.#onUnreadable = onUnreadable;
    this.#key = key;
  }

  push(chunk: Buffer): void {
    this.#chunks[this.#chunks.length] = chunk;
    this.#buffered += chunk.length;
    if (this.#buffered < this.#needed) return;
    const data =
      this.#chunks.length === 1 ? this.#chunks[0]! : concatBuffers(this.#chunks, this.#buffered);
    let offset = 0;
    let needed = HEADER_BYTES;
    const key = this.#key;
    while (data.length - offset >= HEADER_BYTES) {
      if (
        readUInt32LE(data, offset) !== FRAME_MARKER ||
        (key !== undefined &&
          (readUInt32LE(data, offset + 8) !== key[0] || readUInt32LE(data, offset + 12) !== key[1]))
      ) {
        // Not a frame: skip to the next marker (or keep the last bytes, a marker may be split).
        const next = indexOf(data, MARKER_BYTES, offset + 1);
        if (next === -1) {
          offset = Math.max(offset + 1, data.length - (MARKER_BYTES.length - 1));
          break;
        }
        offset = next;
        continue;
      }
      const end = offset + HEADER_BYTES + readUInt32LE(data, offset + 4);
      if (data.length < end) {
        needed = end - offset;
        break;
      }
      const body = subarray(data, offset + HEADER_BYTES, end);
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
    const rest = offset < data.length ? subarray(data, offset) : undefined;
    this.#chunks = rest === undefined ? [] : [rest];
    this.#buffered = rest === undefined ? 0 : rest.length;
    this.#needed = needed;
  }
}
