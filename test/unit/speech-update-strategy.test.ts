import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { applyUpdate, effective, endTurn, deepMerge } from '../../media-core/conversation/speech/update-strategy.ts';

const base = { call: { voice: 'a', opts: { x: 1, y: 2 } } };

describe('update_strategy', () => {
  test('replace replaces for the rest of the call', () => {
    const s = applyUpdate(base, { voice: 'b' }, 'replace');
    assert.deepEqual(effective(s), { voice: 'b' });
    assert.deepEqual(effective(endTurn(s)), { voice: 'b' });
  });
  test('replace_once replaces for one turn', () => {
    const s = applyUpdate(base, { voice: 'b' }, 'replace_once');
    assert.deepEqual(effective(s), { voice: 'b' });
    assert.deepEqual(effective(endTurn(s)), base.call);
  });
  test('merge deep-merges for the rest of the call', () => {
    const s = applyUpdate(base, { opts: { y: 3 } }, 'merge');
    assert.deepEqual(effective(endTurn(s)), { voice: 'a', opts: { x: 1, y: 3 } });
  });
  test('merge_once deep-merges for one turn', () => {
    const s = applyUpdate(base, { opts: { x: 9 } }, 'merge_once');
    assert.deepEqual(effective(s), { voice: 'a', opts: { x: 9, y: 2 } });
    assert.deepEqual(effective(endTurn(s)), base.call);
  });
  test('default is replace; unknown strategy throws', () => {
    assert.deepEqual(effective(applyUpdate(base, { v: 1 })), { v: 1 });
    assert.throws(() => applyUpdate(base, {}, 'sometimes'), /unknown update_strategy "sometimes"/);
  });
  test('merge keeps a one-turn layer merged too; arrays are replaced', () => {
    const once = applyUpdate(base, { voice: 'o' }, 'replace_once');
    const s = applyUpdate(once, { k: [1] }, 'merge');
    assert.deepEqual(effective(s), { voice: 'o', k: [1] });
    assert.deepEqual(deepMerge({ k: [1, 2] }, { k: [3] }), { k: [3] });
  });
});
