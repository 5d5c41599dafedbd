// A CommonJS module's exports that Node cannot list (`module.exports = { add }`, or TypeScript a
// loader compiled to CommonJS) are found only on the namespace's default export, `module.exports`,
// an ordinary object or function. Its inherited properties are no exports: `toString`,
// `constructor`, `__proto__`, `bind` and the like of Object.prototype and Function.prototype. Read
// as exports, fromModule(cjs, 'constructor') called Function with the call's arguments as source,
// and 'toString' gave "[object Undefined]", where "no export" is the answer. Shared by the workers
// and the EventLoopExecutor. (A method of a class instance exported whole is still found.)

const hasOwn = Object.hasOwn;
const objectPrototype = Object.prototype;
const functionPrototype = Function.prototype;

/** Whether `name` on `exports` is only a property every object or function inherits. */
export function isInheritedBuiltin(exports: object, name: string): boolean {
  return !hasOwn(exports, name) && (name in objectPrototype || name in functionPrototype);
}
