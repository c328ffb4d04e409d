import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SCENARIO_DIR, withKeysInAttributes } from '../../dev/sipp/run-sipp.ts';

test('-key values are written into regexp attributes, XML-escaped; other brackets stay', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sipp-keys-'));
  try {
    const path = withKeysInAttributes(join(SCENARIO_DIR, 'uac-refer-notify.xml'), { refer_to_regexp: 'Refer-To: <sip:a@b>', bye_header_regexp: 'X-A: "q" & r' }, dir);
    const xml = readFileSync(path, 'utf8');
    assert.ok(xml.includes('regexp="Refer-To: &lt;sip:a@b>"'));
    assert.ok(xml.includes('regexp="X-A: &quot;q&quot; &amp; r"'));
    assert.ok(xml.includes('regexp="Referred-By: [^\\r\\n]+"'), 'character classes are not keys');
    assert.ok(!xml.includes('[refer_to_regexp]'));
    assert.equal(withKeysInAttributes(join(SCENARIO_DIR, 'uac-cancel.xml'), {}, dir), join(SCENARIO_DIR, 'uac-cancel.xml'), 'untouched scenarios run as they are');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
