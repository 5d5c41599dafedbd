// The built-ins the worker side uses, captured when this module loads, before any call runs.
//
// A call runs in the same realm as the worker runtime: if it replaces `Array.prototype.push`,
// `Map.prototype.get`, `Function.prototype.call` or `globalThis.Error`, code of ours that looks
// them up at use would call the replacement, and the worker would hang, fail every later call or
// send errors without their names. So the worker side looks nothing up at use that a call can
// replace: it calls the copies taken here (Node's own "primordials" do the same for its library,
// see docs/design.md, "Calls that tamper with globals").
//
// How each kind is kept, cheapest first (the per-call path must stay as fast as it was):
// - plain language where it does the same job: `a[n] = x` for push, `for (let i…)` for iterators
//   (array spread and for-of look up `Array.prototype[Symbol.iterator]`), `await` for `.then`;
// - `Safe*` classes (SafeMap, SafeSet, …): subclasses whose prototype holds its own copies of the
//   built-in methods, so `map.get(k)` finds the copy first and costs what it cost before;
// - uncurried functions (`arraySlice(list, 1)`) elsewhere, off the per-call path.
//
// Imports nothing of ours (and only what every worker loads anyway), so that it is loaded first.

import { writeSync } from 'node:fs';
import { types } from 'node:util';

type AnyFunction = (...args: any[]) => any;

export const ReflectApply = Reflect.apply;
export const ReflectOwnKeys = Reflect.ownKeys;
export const ReflectConstruct = Reflect.construct;
export const ObjectSetPrototypeOf = Object.setPrototypeOf;
export const ObjectPreventExtensions = Object.preventExtensions;
export const ObjectCreate = Object.create;
export const ObjectDefineProperty = Object.defineProperty;
export const ObjectGetOwnPropertyDescriptor = Object.getOwnPropertyDescriptor;
export const ObjectGetPrototypeOf = Object.getPrototypeOf;
export const ObjectHasOwn = Object.hasOwn;
export const ArrayIsArray = Array.isArray;
export const NativeArray = Array;
export const NativeUint8Array = Uint8Array;
export const NativeString = String;
export const NativeProxy = Proxy;
export const NativePromise = Promise;
export const NativeError = Error;
export const NativeTypeError = TypeError;
export const NativeRangeError = RangeError;
export const NativeSyntaxError = SyntaxError;
export const NativeReferenceError = ReferenceError;
export const NativeEvalError = EvalError;
export const NativeURIError = URIError;
export const NativeAggregateError = AggregateError;
export const NativeDOMException: typeof DOMException | undefined =
  typeof DOMException === 'function' ? DOMException : undefined;
export const isNativeError = types.isNativeError;
export const isPromise = types.isPromise;
export const structuredCloneValue = structuredClone;
export const AtomicsCompareExchange = Atomics.compareExchange;
export const AtomicsStore = Atomics.store;
export const setTimer = setTimeout;
export const clearTimer = clearTimeout;

/** `fn.call(self, ...args)` as `uncurried(self, ...args)`, immune to a replaced Function.prototype.call. */
export function uncurryThis<T, A extends unknown[], R>(
  fn: (this: T, ...args: A) => R,
): (self: T, ...args: A) => R {
  return (self, ...args) => ReflectApply(fn, self, args);
}

/**
 * `list.slice(start, end)` by a loop: the built-in would still consult `list.constructor` and its
 * Symbol.species, which a call can redefine on Array.prototype (and make every slice throw).
 */
export function ArrayPrototypeSlice<T>(list: readonly T[], start = 0, end = list.length): T[] {
  const length = list.length;
  if (start < 0) start = start + length < 0 ? 0 : start + length;
  if (end < 0) end += length;
  if (end > length) end = length;
  const copy: T[] = [];
  for (let i = start; i < end; i++) copy[i - start] = list[i]!;
  return copy;
}
export const ArrayPrototypeJoin = uncurryThis(Array.prototype.join) as (
  list: readonly unknown[],
  separator?: string,
) => string;
export const StringPrototypeSplit = uncurryThis(String.prototype.split) as unknown as (
  text: string,
  separator: string,
) => string[];
export const StringPrototypeIndexOf = uncurryThis(String.prototype.indexOf) as (
  text: string,
  search: string,
  from: number,
) => number;
export const StringPrototypeIncludes = uncurryThis(String.prototype.includes) as (
  text: string,
  search: string,
) => boolean;
export const StringPrototypeStartsWith = uncurryThis(String.prototype.startsWith) as (
  text: string,
  search: string,
) => boolean;
export const RegExpPrototypeExec = uncurryThis(RegExp.prototype.exec) as (
  pattern: RegExp,
  text: string,
) => RegExpExecArray | null;
/** Marks a promise handled (`promise.then(undefined, ignore)`) with the `then` it had at load. */
const promiseThen = Promise.prototype.then;
export function ignoreRejection(promise: Promise<unknown>): void {
  ReflectApply(promiseThen, promise, [undefined, () => undefined]);
}
export const ObjectPrototypeToString = uncurryThis(Object.prototype.toString) as (
  value: unknown,
) => string;
export const ObjectPrototypePropertyIsEnumerable = uncurryThis(
  Object.prototype.propertyIsEnumerable,
) as (value: unknown, key: PropertyKey) => boolean;

/** A regular expression test that a replaced RegExp.prototype.exec (which `test` calls) cannot change. */
export function regExpTest(pattern: RegExp, text: string): boolean {
  pattern.lastIndex = 0;
  return RegExpPrototypeExec(pattern, text) !== null;
}

// The object too, not only its method: a call may replace the global (fake timers left installed).
const nativePerformance = performance;
const performanceNow = nativePerformance.now;
const NO_ARGUMENTS: readonly unknown[] = [];
/** `performance.now()`, as it was at load. Read twice per call: no arguments array is allocated. */
export function now(): number {
  return ReflectApply(performanceNow, nativePerformance, NO_ARGUMENTS) as number;
}

const timeoutUnref = (() => {
  const timer = setTimeout(() => undefined, 0);
  clearTimeout(timer);
  return (ObjectGetPrototypeOf(timer) as { unref?: AnyFunction }).unref;
})();
/** `timer.unref()`: a worker's own timers never keep it alive. */
export function unrefTimer(timer: unknown): void {
  if (typeof timeoutUnref === 'function') ReflectApply(timeoutUnref, timer, []);
}

/**
 * A subclass of `Base` whose prototype holds copies of every method along Base's prototype chain
 * (Object.prototype excluded): a call that replaces `Map.prototype.get` reaches no instance of it,
 * and a method call on one costs what it costs on a plain instance. Iterators are not covered
 * (their `next` lives on a shared prototype): the worker side never iterates these.
 */
function makeSafe<C extends new (...args: any[]) => object>(
  Base: C,
  constructWith: new (...args: any[]) => object = Base,
): C {
  // An explicit constructor of two parameters: an implicit one spreads its arguments, which goes
  // through Array.prototype[Symbol.iterator] (on Node 20); every use here takes at most two. For the
  // same reason a class whose own constructor is implicit is built by its parent's (`constructWith`).
  // A plain `super()` keeps construction on V8's fast path (Reflect.construct with another
  // new.target cost ~1.5 µs per frame serialiser, on every call of a process pool).
  const Parent = constructWith as new (...args: unknown[]) => object;
  const Safe = class extends Parent {
    constructor(first?: unknown, second?: unknown) {
      super(first, second);
    }
  };
  const safeProto = Safe.prototype as object;
  ObjectSetPrototypeOf(safeProto, Base.prototype as object); // instanceof Base holds
  let proto: object | null = Base.prototype as object;
  while (proto !== null && proto !== Object.prototype) {
    const keys = ReflectOwnKeys(proto);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      if (ObjectHasOwn(safeProto, key)) continue;
      ObjectDefineProperty(safeProto, key, ObjectGetOwnPropertyDescriptor(proto, key)!);
    }
    proto = ObjectGetPrototypeOf(proto) as object | null;
  }
  // Its parent (which super() calls) can no longer be swapped, by a call that reached the class
  // through an instance's constructor.
  ObjectPreventExtensions(Safe);
  return Safe as unknown as C;
}

export const SafeMap = makeSafe(Map) as MapConstructor;
export const SafeAbortController = makeSafe(AbortController) as typeof AbortController;
export const SafeSet = makeSafe(Set) as SetConstructor;
export const SafeWeakMap = makeSafe(WeakMap) as WeakMapConstructor;
export const SafeWeakSet = makeSafe(WeakSet) as WeakSetConstructor;
export { makeSafe };

/**
 * `fn`, made a listener that EventEmitter can call after a call replaced Function.prototype.apply:
 * Node's emit() calls `handler.apply(this, args)`, which then finds this own copy first.
 */
export function steadyListener<F extends (...args: any[]) => unknown>(fn: F): F {
  ObjectDefineProperty(fn, 'apply', {
    value: (self: unknown, args: unknown[] | undefined) => ReflectApply(fn, self, args ?? []),
  });
  ObjectDefineProperty(fn, 'call', {
    value: (self: unknown, ...args: unknown[]) => ReflectApply(fn, self, args),
  });
  return fn;
}

/**
 * Gives every method along `Base.prototype`'s chain its own `call` and `apply` (see steadyListener):
 * Node's own stream code calls `Duplex.prototype.read.call(this, n)` and the like, which a call that
 * replaced Function.prototype.call would break under our channel. Behaves as the built-ins do.
 */
export function steadyMethods(Base: abstract new (...args: any[]) => object): void {
  let proto: object | null = Base.prototype as object;
  while (proto !== null && proto !== Object.prototype) {
    const keys = ReflectOwnKeys(proto);
    for (let i = 0; i < keys.length; i++) {
      const value = ObjectGetOwnPropertyDescriptor(proto, keys[i]!)?.value as unknown;
      if (typeof value === 'function' && !ObjectHasOwn(value, 'call'))
        steadyListener(value as AnyFunction);
    }
    proto = ObjectGetPrototypeOf(proto) as object | null;
  }
}

/** Whether `value` has `proto` on its prototype chain (`instanceof` without Symbol.hasInstance). */
export function inheritsFrom(value: unknown, proto: object): boolean {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return false;
  let current = ObjectGetPrototypeOf(value) as object | null;
  for (let steps = 0; current !== null && steps < 100; steps++) {
    if (current === proto) return true;
    current = ObjectGetPrototypeOf(current) as object | null;
  }
  return false;
}

const processExit = process.exit;
const reallyExit = (process as { reallyExit?: (code: number) => void }).reallyExit;

/**
 * `process.exit(code)` as it was at load (it ends a worker thread, or the process). If a call has
 * since broken what it relies on (`process.reallyExit`, `process.emit`), the exit it ends with is
 * made directly: a worker told to stop must stop, or its pool's shutdown() would wait forever.
 */
export function exitWorker(code: number): never {
  try {
    ReflectApply(processExit, process, [code]);
  } finally {
    if (typeof reallyExit === 'function') ReflectApply(reallyExit, process, [code]);
  }
  throw new NativeError('unreachable: the worker has exited');
}

/**
 * The runtime met an exception in its own message path that it cannot handle: say so on stderr and
 * end this worker (its thread, or its process) with a non-zero code, so that the pool sees a death
 * and breaks, rather than waiting forever for answers that will not come. Python's process pool
 * does the same when a worker's management fails. Uses nothing a call could have replaced: a call
 * may well be what broke us (it replaced something we did not capture).
 */
export function failWorker(where: string, error: unknown): never {
  let detail: string;
  try {
    const stack = (error as { stack?: unknown } | null)?.stack;
    detail = typeof stack === 'string' ? stack : NativeString(error);
  } catch {
    detail = 'an error that cannot be described';
  }
  try {
    writeSync(
      2,
      `concurrent-futures: this worker's runtime failed ${where} and the worker is ending, ` +
        `so that its pool reports it rather than waiting for it. A call may have replaced a built-in ` +
        `the runtime relies on.\n${detail}\n`,
    );
  } catch {
    // stderr is closed: the exit code still tells the pool.
  }
  // 70: EX_SOFTWARE ("internal software error", sysexits.h), told apart from a call's own exit codes.
  // reallyExit: what process.exit() ends with, without the 'exit' listeners (ours would try to send
  // results through the path that just failed; a call's own might hang or throw).
  if (typeof reallyExit === 'function') ReflectApply(reallyExit, process, [70]);
  ReflectApply(processExit, process, [70]);
  throw error; // unreachable: both exits end this thread or process
}

/**
 * A message's field as its sender set it, not one inherited from a prototype: a call may put a key
 * of the protocol's on Object.prototype (`forget`, `buffers`), which every message would inherit.
 */
export function own<M extends object, K extends keyof M>(message: M, key: K): M[K] | undefined {
  return ObjectHasOwn(message, key) ? message[key] : undefined;
}
