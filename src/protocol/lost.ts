// The errors of a message lost on the way: a value that serialises but cannot be read back on the
// other side (Node 20 sends an Error whose `cause` is itself, then refuses it on arrival). Such a
// message takes only its own calls with it (see `first` in messages.ts); these errors say why.

/** A call whose arguments the worker could not read: it never ran. */
export function unreadableArguments(): Error {
  return new TypeError(
    'The arguments of this call could not be read back in the worker, so the call did not run: a value in ' +
      'them serialises but cannot be deserialised (for example an Error whose cause is itself). Pass values ' +
      'that survive structuredClone() (or v8.deserialize(v8.serialize(value)) for a process pool).',
  );
}

/** A call whose result (or thrown value) the pool could not read. */
export function unreadableResult(): Error {
  return new TypeError(
    "The call's result (or the value it threw) could not be read back from the worker: it serialises but " +
      'cannot be deserialised (for example an Error whose cause is itself). Return and throw values that ' +
      'survive structuredClone() (or v8.deserialize(v8.serialize(value)) for a process pool).',
  );
}
