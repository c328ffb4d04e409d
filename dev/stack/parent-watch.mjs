/**
 * Parent-death watch for a Node child of the local stack, preloaded with
 * `node --import <this file>` by dev/stack/supervise.ts.
 *
 * The launcher hands each child one end of a pipe as file descriptor PARENT_WATCH_FD (3).
 * The launcher never writes to it; the kernel closes its end when the launcher's process ends,
 * however it ends (exit, SIGHUP, SIGKILL). The child then reads end-of-file here and stops
 * itself as the launcher would have: SIGTERM to itself (its own drain/shutdown handlers run),
 * then a hard exit after PARENT_WATCH_GRACE_MS (default 15000 ms) if it is still alive.
 *
 * Plain JavaScript (no tsx) so it also preloads into serverless-offline. Only the main thread
 * watches (worker threads inherit --import); the variables are removed from process.env so the
 * child's own children, which do not get the pipe, never mistake another fd 3 for it.
 */
import { Socket } from 'node:net';
import { isMainThread } from 'node:worker_threads';

const fd = Number(process.env.PARENT_WATCH_FD);
const graceMs = Number(process.env.PARENT_WATCH_GRACE_MS || 15000);

if (isMainThread && Number.isInteger(fd) && fd > 2) {
  delete process.env.PARENT_WATCH_FD;
  delete process.env.PARENT_WATCH_GRACE_MS;
  let gone = false;
  const onParentGone = () => {
    if (gone) return;
    gone = true;
    process.stderr.write(`the launcher is gone: stopping (pid ${process.pid})\n`);
    setTimeout(() => process.exit(1), Number.isFinite(graceMs) && graceMs > 0 ? graceMs : 15000).unref();
    process.kill(process.pid, 'SIGTERM');
  };
  try {
    const pipe = new Socket({ fd, readable: true, writable: false });
    pipe.on('data', () => {});
    pipe.once('end', onParentGone);
    pipe.once('close', onParentGone);
    pipe.once('error', onParentGone);
    // The watch alone must not keep the child running.
    pipe.unref();
  } catch (err) {
    process.stderr.write(`parent watch on fd ${fd} unavailable: ${err instanceof Error ? err.message : err}\n`);
  }
}
