#!/bin/sh
# Parent-death watch for a non-Node child of the local stack (Kamailio, SIPp):
#   sh parent-watch.sh <command> [args...]
# dev/stack/supervise.ts gives this shim one end of a pipe as file descriptor 3 and never
# writes to it. When the launcher ends, however it ends (even SIGKILL), the kernel closes the
# other end and `read` below sees end-of-file: the command gets SIGTERM, then SIGKILL after
# PARENT_WATCH_GRACE_S (default 5) seconds. Needs no privileges (unlike a setuid helper) and no
# race between fork and exec (unlike PR_SET_PDEATHSIG set after the fork).
# SIGTERM, SIGINT and SIGHUP sent to the shim are passed on to the command; the shim exits
# with the command's status.
grace="${PARENT_WATCH_GRACE_S:-5}"
unset PARENT_WATCH_FD PARENT_WATCH_GRACE_S
"$@" 3<&- &
child=$!
trap 'kill -TERM "$child" 2>/dev/null' TERM INT HUP
{
  while read -r _; do :; done
  kill -TERM "$child" 2>/dev/null
  sleep "$grace"
  kill -KILL "$child" 2>/dev/null
} <&3 3<&- >/dev/null 2>&1 &
watcher=$!
exec 3<&-
status=0
# wait returns early when a trapped signal arrives; wait again until the command is reaped.
while kill -0 "$child" 2>/dev/null; do
  wait "$child"
  status=$?
done
kill "$watcher" 2>/dev/null
exit "$status"
