/**
 * Loads a function's configuration once per container: loading starts when the handler
 * module is initialised (cold start, when Lambda gives the most CPU) and every invocation
 * awaits the same promise, then finds the value at `context.config`.
 * A failed load (ConfigError, SSM unreachable) fails the invocation; a transient failure
 * (anything but ConfigError) is retried on the next invocation, a ConfigError is not.
 */
import type { MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { ConfigError } from '../../lib/env.ts';

/** Lambda context plus the loaded configuration. */
export type ConfigContext<C> = Context & { config: C };

export function configOnce<C, E = unknown, R = unknown>(load: () => C | Promise<C>): MiddlewareObj<E, R, Error, ConfigContext<C>> {
  let pending: Promise<C> | undefined;
  const start = () => {
    pending = Promise.resolve().then(load);
    // The rejection is reported by the invocation that awaits it, not as unhandled.
    pending.catch((err) => {
      if (!(err instanceof ConfigError)) pending = undefined;
    });
    return pending;
  };
  start();
  return {
    name: 'configOnce',
    before: async (request) => {
      request.context.config = await (pending ?? start());
    },
  };
}
