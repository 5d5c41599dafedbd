// A CommonJS module's exports that Node cannot list (`module.exports = { add }`, or TypeScript a
// loader compiled to CommonJS) are found only on the namespace's default export, `module.exports`,
// an ordinary object or function. Its inherited properties are no exports: `toString`,
// `constructor`, `__proto__`, `bind` and the like of Object.prototype and Function.prototype. Read
// as exports, fromModule(cjs, 'constructor') called Function with the call's arguments as source,
// and 'toString' gave "[object Undefined]", where "no export" is the answer. Shared by the workers
// and the EventLoopExecutor. (A method of a class instance exported whole is still found, even one
// named like a built-in.)

const hasOwn = Object.hasOwn;
const getPrototypeOf = Object.getPrototypeOf;

/**
 * Whether `name` on `exports` is only a property every object or function inherits: found first on
 * an Object.prototype or a Function.prototype, of any realm (jest runs modules in realms of their
 * own). A class of the module's own that defines `toString` gives its instances a method of theirs,
 * which is kept.
 */
export function isInheritedBuiltin(exports: object, name: string): boolean {
  for (let holder: object | null = exports; holder !== null; holder = getPrototypeOf(holder)) {
    if (!hasOwn(holder, name)) continue;
    if (holder === exports) return false;
    const parent = getPrototypeOf(holder);
    // Object.prototype ends a chain; Function.prototype is a function whose parent ends one.
    return parent === null || (typeof holder === 'function' && getPrototypeOf(parent) === null);
  }
  return false;
}
