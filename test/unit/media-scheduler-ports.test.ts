import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { Scheduler, type PacedSender } from '../../media-core/media/scheduler.ts';
import { PortPool, PortPoolExhaustedError } from '../../media-core/media/port-pool.ts';
import { freeSipPort } from '../../dev/free-ports.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Scheduler (shared 20 ms pacing)', () => {
  test('each sender is called once per slot, slots consecutive, on the monotonic grid', async () => {
    const sched = new Scheduler({ maxCatchUp: 1000 }); // no skipping even on a loaded CI machine
    const calls: number[][] = [[], [], []];
    const senders: PacedSender[] = calls.map((list) => ({ tick: (slot) => { list.push(slot); } }));
    for (const s of senders) sched.add(s);
    sched.add(senders[0]!); // adding twice is a no-op
    assert.equal(sched.size, 3);
    const t0 = performance.now();
    await sleep(420);
    const elapsed = performance.now() - t0;
    sched.dispose();
    for (const list of calls) {
      assert.ok(list.length >= 15 && list.length <= Math.ceil(elapsed / 20) + 1, `ticks ${list.length} in ${elapsed} ms`);
      for (let i = 1; i < list.length; i++) assert.equal(list[i], list[i - 1]! + 1);
    }
    assert.deepEqual(calls[0], calls[1]);
    const st = sched.stats();
    assert.ok(st.ticks >= 15);
    assert.ok(st.p50Ms >= 0 && st.p50Ms <= st.p99Ms && st.p99Ms <= Math.max(st.maxMs, 0.05) + 0.05);
  });

  test('remove from inside a tick, throwing senders are dropped, loop stops when empty', async () => {
    const errors: unknown[] = [];
    const sched = new Scheduler({ onError: (e) => errors.push(e) });
    let a = 0;
    let b = 0;
    const selfRemoving: PacedSender = { tick: () => { a++; if (a === 3) sched.remove(selfRemoving); } };
    const thrower: PacedSender = { tick: () => { b++; throw new Error('boom'); } };
    let c = 0;
    const steady: PacedSender = { tick: () => { c++; } };
    sched.add(selfRemoving);
    sched.add(thrower);
    sched.add(steady);
    await sleep(200);
    assert.equal(a, 3);
    assert.equal(b, 1);
    assert.equal(errors.length, 1);
    assert.ok(c >= 5);
    assert.equal(sched.has(steady), true);
    sched.remove(steady);
    assert.equal(sched.size, 0);
    const frozen = c;
    await sleep(60);
    assert.equal(c, frozen);
  });

  test('after a stall: up to maxCatchUp missed slots are replayed, older ones skipped', async () => {
    const sched = new Scheduler({ maxCatchUp: 2 });
    const slots: number[] = [];
    sched.add({ tick: (slot) => { slots.push(slot); } });
    await sleep(70);
    const busyUntil = performance.now() + 150; // block the event loop for 7+ slots
    while (performance.now() < busyUntil) { /* stall */ }
    await sleep(70);
    sched.dispose();
    const jumps = slots.slice(1).map((s, i) => s - slots[i]!).filter((d) => d !== 1);
    assert.equal(jumps.length, 1, `slots ${slots.join(',')}`);
    assert.ok(jumps[0]! >= 4, 'skipped slots beyond the catch-up burst');
    assert.ok(sched.stats().skipped >= 3);
    assert.ok(sched.stats().maxMs >= 100);
  });

  test('phases: senders spread over offsets within the slot, each on its own 20 ms grid; a phase is kept on request', async () => {
    const sched = new Scheduler({ phases: 4, maxCatchUp: 1000 });
    const dues = new Map<number, number[]>();
    const senders = [0, 1, 2, 3, 4].map((i) => ({ tick: () => { dues.set(i, [...(dues.get(i) ?? []), sched.currentDueMs!]); } }));
    const phases = senders.map((s) => sched.add(s));
    assert.deepEqual(phases, [0, 1, 2, 3, 0], 'least used phase first');
    await sleep(130);
    sched.dispose();
    for (const [i, list] of dues) {
      assert.ok(list.length >= 3, `sender ${i} ticked ${list.length} times`);
      for (let k = 1; k < list.length; k++) assert.ok(Math.abs(list[k]! - list[k - 1]! - 20) < 1e-6, 'own 20 ms grid');
    }
    // Same slot: offsets of 5 ms per phase.
    assert.ok(Math.abs(dues.get(1)![0]! - dues.get(0)![0]! - 5) < 1e-6);
    assert.ok(Math.abs(dues.get(3)![0]! - dues.get(0)![0]! - 15) < 1e-6);
    assert.equal(sched.currentDueMs, undefined, 'undefined outside ticks');
    const again = new Scheduler({ phases: 4 });
    assert.equal(again.add({ tick: () => undefined }, 3), 3);
    again.dispose();
    assert.throws(() => new Scheduler({ phases: 0 }), RangeError);
  });

  test('lead: slots run that many ms before due; backfill builds the slots already run for a late sender', async () => {
    let kicks = 0;
    const sched = new Scheduler({ leadMs: 60, spinMs: 0, maxCatchUp: 1000, afterWake: () => kicks++ });
    const early: number[] = [];
    sched.add({ tick: () => { early.push(sched.currentDueMs! - performance.now()); } });
    await sleep(150);
    assert.ok(early.length >= 4);
    // Every slot is built ahead: due 40-60 ms after it runs (minus event-loop lateness).
    assert.ok(early.slice(1).every((d) => d > 0 && d <= 60.5), `ahead by ${early.map((d) => d.toFixed(1)).join(', ')}`);
    assert.ok(kicks >= 1 && kicks <= early.length + 1, `afterWake once per wake-up (${kicks} for ${early.length} slots)`);
    const late: { slot: number; ahead: number }[] = [];
    const sender = { tick: (slot: number) => { late.push({ slot, ahead: sched.currentDueMs! - performance.now() }); } };
    sched.add(sender);
    sched.backfill(sender);
    assert.ok(late.length >= 2 && late.length <= 4, `backfilled ${late.length} slots`);
    assert.ok(late.every((l) => l.ahead >= 2), 'only slots at least the margin from due');
    for (let i = 1; i < late.length; i++) assert.equal(late[i]!.slot, late[i - 1]!.slot + 1);
    sched.dispose();
    const noLead = new Scheduler();
    const none: number[] = [];
    const s2 = { tick: (slot: number) => { none.push(slot); } };
    noLead.add(s2);
    noLead.backfill(s2);
    assert.deepEqual(none, [], 'no lead: nothing to backfill');
    noLead.dispose();
  });

  test('currentSlot advances with time even while stopped', async () => {
    const sched = new Scheduler();
    const s0 = sched.currentSlot();
    await sleep(65);
    assert.ok(sched.currentSlot() - s0 >= 2);
  });
});

describe('PortPool', () => {
  test('even ports, exhaustion error, release and reuse', async () => {
    const base = (await freeSipPort()) & ~1;
    const pool = new PortPool({ address: '127.0.0.1', min: base + 1, max: base + 6 }); // 2,4,6 above base
    assert.equal(pool.capacity, 3);
    const got = [await pool.allocate(), await pool.allocate(), await pool.allocate()];
    for (const p of got) assert.equal(p.port % 2, 0);
    assert.equal(new Set(got.map((p) => p.port)).size, 3);
    await assert.rejects(pool.allocate(), (err: unknown) => err instanceof PortPoolExhaustedError && /no free RTP port/.test((err as Error).message));
    pool.release(got[1]!.port);
    pool.release(got[1]!.port); // idempotent
    const again = await pool.allocate();
    assert.equal(again.port, got[1]!.port);
    assert.equal(pool.allocated, 3);
    pool.releaseAll();
    assert.equal(pool.allocated, 0);
  });

  test('a port held by someone else is skipped (EADDRINUSE)', async () => {
    const base = (await freeSipPort()) & ~1;
    const squatter = createSocket('udp4');
    await new Promise<void>((r) => squatter.bind(base, '127.0.0.1', () => r()));
    try {
      const pool = new PortPool({ address: '127.0.0.1', min: base, max: base + 2 });
      const p = await pool.allocate();
      assert.equal(p.port, base + 2);
      await assert.rejects(pool.allocate(), PortPoolExhaustedError);
      pool.releaseAll();
    } finally {
      squatter.close();
    }
  });

  test('bad ranges throw', () => {
    assert.throws(() => new PortPool({ address: '127.0.0.1', min: 5001, max: 5001 }), RangeError);
    assert.throws(() => new PortPool({ address: '127.0.0.1', min: 6000, max: 5000 }), RangeError);
  });
});
