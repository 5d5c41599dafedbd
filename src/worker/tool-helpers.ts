// Functions compiled by tools still travel by source. A compiler or a coverage instrumenter writes
// calls to names defined once at the top of the compiled file into the functions it compiles;
// their source text, sent to a worker, then names something the worker does not have. For the
// tools users run their tests and apps with, the worker gives such a function its own stand-ins:
//
//   tsc (CommonJS, a target below ES2017/ES2018)  __awaiter, __importStar, __importDefault,
//                                                  __rest, __assign, require, tslib_1.<helper>
//   Babel (ES modules to CommonJS, as babel-jest)  _interopRequireWildcard, _interopRequireDefault,
//                                                  require
//   esbuild (tsx, vite, keepNames)                 __name
//   vitest (import() in a test file)               __vite_ssr_dynamic_import__, as import() of a
//                                                  function sent by source (from process.cwd())
//   istanbul (jest --coverage, nyc, babel-plugin-istanbul)
//                                                  cov_<hash>().s[0]++ (and .f, .b, .bT, any shape),
//                                                  the older __cov_<hash>.s['1']++
//
// They are passed as parameters of the function that compiles the source, so nothing is added to
// the worker's globals and a source that uses none of them costs one regular expression test.
// A coverage counter counts into a sink that accepts any read, write, call or increment: coverage
// of code run inside workers is not reported (it never was), and the call runs as written.
// What cannot be provided is named by `toolHelperAdvice`, with what to change: helpers for features
// an older target lacks, those of `using` (Node 20 cannot run `using` itself), and Babel's.

import { createRequire } from 'node:module';
import { join } from 'node:path';
import {
  ObjectDefineProperty,
  ObjectPrototypePropertyIsEnumerable,
  ReflectApply,
  ReflectOwnKeys,
  RegExpPrototypeExec,
  StringPrototypeIncludes,
  regExpTest,
} from './intrinsics.js';

/** Names a tool may leave in a function's source; a quick test before the per-name work. */
const TOOL_NAME = /\b(?:__\w+|cov_\w+|tslib_\d+|require)\b/;
const COVERAGE_COUNTER = /(?<![\w$])(?:__)?cov_[\w$]+/g;
const TSLIB_BINDING = /\btslib(?:_\d+)?\b/g;

type AnyFunction = (...args: any[]) => any;

/** Accepts anything: `sink.s[0]++`, `sink().b[1][0]++`, calls, writes. Reads as 0 in arithmetic. */
const coverageSink: any = new Proxy(() => undefined, {
  get: (_target, key) => (key === Symbol.toPrimitive ? () => 0 : coverageSink),
  set: () => true,
  apply: () => coverageSink,
});

function __name(target: object, value: string): object {
  return ObjectDefineProperty(target, 'name', { value, configurable: true });
}

/** Runs a generator as an async function: each yielded value is awaited, as tsc's helper does. */
function __awaiter(
  thisArg: unknown,
  args: unknown,
  PromiseClass: PromiseConstructor | undefined,
  body: AnyFunction,
): Promise<unknown> {
  const P = PromiseClass ?? Promise;
  return new P((resolve, reject) => {
    const steps = ReflectApply(body, thisArg, (args as unknown[] | undefined) ?? []) as Generator;
    const step = (method: 'next' | 'throw', input: unknown): void => {
      let result: IteratorResult<unknown>;
      try {
        result = steps[method](input);
      } catch (error) {
        reject(error);
        return;
      }
      if (result.done) resolve(result.value);
      else
        P.resolve(result.value).then(
          (value) => step('next', value),
          (error: unknown) => step('throw', error),
        );
    };
    step('next', undefined);
  });
}

/** What `import x from 'cjs'` sees of a CommonJS module. */
function __importDefault(module: any): any {
  return module?.__esModule ? module : { default: module };
}

/** What `import * as ns from 'cjs'` (and `await import('cjs')`) sees of a CommonJS module. */
function __importStar(module: any): any {
  if (module?.__esModule) return module;
  const namespace: Record<string, unknown> = {};
  if (module !== null && module !== undefined) {
    for (const key of Object.keys(module)) {
      if (key !== 'default') {
        Object.defineProperty(namespace, key, { enumerable: true, get: () => module[key] });
      }
    }
  }
  namespace.default = module;
  return namespace;
}

/** Object rest (`const { a, ...rest } = value`) below ES2018. */
function __rest(source: any, excluded: PropertyKey[]): Record<PropertyKey, unknown> {
  const rest: Record<PropertyKey, unknown> = {};
  for (const key of Reflect.ownKeys(source)) {
    if (!excluded.includes(key) && ObjectPrototypePropertyIsEnumerable(source, key)) {
      rest[key] = source[key];
    }
  }
  return rest;
}

const PROVIDED: Record<string, unknown> = {
  __name,
  __awaiter,
  __importDefault,
  __importStar,
  __rest,
  __assign: Object.assign,
  // Babel's module transform writes these for `import x from` and `await import()`, whatever
  // the target: the same as tsc's.
  _interopRequireDefault: __importDefault,
  _interopRequireWildcard: __importStar,
};

let workerRequire: NodeJS.Require | undefined;

/**
 * `require` for tsc's CommonJS output of `await import('x')`: resolved from the current directory,
 * as a bare module name given to fromModule() is.
 */
function requireFromCwd(): NodeJS.Require {
  workerRequire ??= createRequire(join(process.cwd(), 'noop.js'));
  return workerRequire;
}

/**
 * The stand-ins `source` needs, as parameter names and their values. Empty for most sources.
 * `sourceImport()` gives `import()` as a function sent by source makes it (the caller compiles it).
 */
export function toolHelpersFor(
  source: string,
  sourceImport: () => AnyFunction,
): { names: string[]; values: unknown[] } {
  // Written with the built-ins captured at load (intrinsics.ts): a call run earlier in this
  // worker may have replaced Array.prototype.push, String.prototype.match and the like.
  const names: string[] = [];
  const values: unknown[] = [];
  if (!regExpTest(TOOL_NAME, source)) return { names, values };
  const add = (name: string, value: unknown): void => {
    for (let i = 0; i < names.length; i++) if (names[i] === name) return;
    if (name in globalThis) return;
    values[names.length] = value;
    names[names.length] = name;
  };
  const provided = ReflectOwnKeys(PROVIDED) as string[];
  for (let i = 0; i < provided.length; i++) {
    const name = provided[i]!;
    if (StringPrototypeIncludes(source, `${name}(`)) add(name, PROVIDED[name]);
  }
  eachMatch(COVERAGE_COUNTER, source, (name) => add(name, coverageSink));
  eachMatch(TSLIB_BINDING, source, (name) => add(name, PROVIDED));
  if (regExpTest(/\brequire\s*\(/, source)) add('require', requireFromCwd());
  if (StringPrototypeIncludes(source, 'vite_ssr_dynamic_import__('))
    add('__vite_ssr_dynamic_import__', sourceImport());
  return { names, values };
}

/** `source.match(globalPattern)`, one match at a time, without String.prototype.match. */
function eachMatch(pattern: RegExp, source: string, each: (match: string) => void): void {
  pattern.lastIndex = 0;
  for (let found = RegExpPrototypeExec(pattern, source); found !== null;) {
    each(found[0]);
    if (found[0] === '') pattern.lastIndex++;
    found = RegExpPrototypeExec(pattern, source);
  }
}

/**
 * For a name a tool left in a function that the worker could not provide: which tool, and what to
 * change so that the function travels. Undefined for a name no tool is known to write.
 */
export function toolHelperAdvice(name: string): string | undefined {
  if (regExpTest(/^(?:__)?cov_[\w$]+$|^__coverage__$/, name)) {
    return (
      `"${name}" is a coverage counter that istanbul (jest's default coverageProvider 'babel', nyc) ` +
      `wrote into the function. Use V8 coverage instead: coverageProvider: 'v8' in the jest config, or c8 in place of nyc.`
    );
  }
  if (regExpTest(/^__(?:using|callDispose|addDisposableResource|disposeResources)$/, name)) {
    // Node 20 cannot run `using` itself, so no target setting keeps it out of the function.
    return (
      `"${name}" is a helper that TypeScript or esbuild (tsx) writes into a function that declares ` +
      `\`using\` or \`await using\`, which no worker provides. Export the function from a module and ` +
      `submit fromModule(...), or dispose of the resource with try/finally in the function sent by source.`
    );
  }
  if (
    regExpTest(
      /^__(?:async|objRest|spreadValues|spreadProps|publicField|private(?:Get|Set|Add|Method|Wrapper)|yieldStar|forAwait|template|knownSymbol|superGet|superSet)$/,
      name,
    )
  ) {
    return (
      `"${name}" is a helper that esbuild (tsx, vite) writes into functions it compiles for an older ` +
      `target. Raise esbuild's target to the running Node.js (--target=node20, or target: 'node20'), or ` +
      `leave it at esbuild's default, esnext.`
    );
  }
  if (
    regExpTest(
      /^__(?:generator|values|read|spread|spreadArrays?|asyncValues|asyncGenerator|await|extends|decorate\w*|metadata|param|classPrivate\w+|esDecorate|runInitializers|makeTemplateObject)$/,
      name,
    )
  ) {
    return (
      `"${name}" is a helper that TypeScript writes into functions compiled for an older target. ` +
      `Set "target": "ES2022" (or later) in the tsconfig that compiles this file (ts-jest reads tsconfig.json).`
    );
  }
  if (regExpTest(/^_(?:this|arguments|newTarget)\d*$/, name)) {
    // An arrow function compiled below ES2015 reads `this` from a variable of the scope around it.
    return (
      `"${name}" is a variable that TypeScript or Babel writes in place of \`this\`, \`arguments\` or ` +
      `\`new.target\` when it compiles an arrow function for a target older than ES2015, and it stays ` +
      `behind with the scope. Set "target": "ES2022" (or later) in the tsconfig that compiles this file ` +
      `(ts-jest reads tsconfig.json), or for Babel targets: { node: 'current' }. If the function reads a ` +
      `variable of that name of its own, pass it as an argument instead.`
    );
  }
  if (
    regExpTest(
      /^(?:_asyncToGenerator|_objectSpread\d*|_objectWithoutProperties\w*|_defineProperty|_regenerator\w*|regeneratorRuntime|_toConsumableArray|_slicedToArray)$/,
      name,
    )
  ) {
    return (
      `"${name}" is a helper that Babel writes into functions it compiles for an older target. ` +
      `Target the running Node.js, e.g. @babel/preset-env with targets: { node: 'current' } (babel-jest reads babel.config.js).`
    );
  }
  return undefined;
}
