/**
 * A part of the App built on first use (its modules load only when a command needs it):
 * `build` run on the first call and its result shared; a build that failed is tried again on the
 * next call. `built()` is the result once there is one (what `close` has to close).
 */
export function builtOnce<T>(build: () => Promise<T>): { (): Promise<T>; built(): T | undefined } {
  let pending: Promise<T> | null = null;
  let value: T | undefined;
  const get = () => {
    pending ??= build().then(
      (built) => {
        value = built;
        return built;
      },
      (error: unknown) => {
        pending = null;
        throw error;
      },
    );
    return pending;
  };
  return Object.assign(get, { built: () => value });
}
