/**
 * The demo assistant fills its own templates: a template variable that was never set leaves
 * its header or attribute out instead of sending an empty value (`X-Account-Number:` and
 * `AccountNumber ""` before), while running text still reads it as "".
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { LocalAssistant } from '../../media-core/conversation/assistants/local.ts';
import { fillTemplates } from '../../media-core/conversation/assistants/template.ts';

type Target = { service_desk: { sip: { transfer_headers: { name: string; value: string }[] } }; amazon_connect: { custom_data: Record<string, string> }; nice_cxone: { custom_data: Record<string, string> } };

describe('templates with unset variables', () => {
  test('demo assistant, agent before any account number: no X-Account-Number header, no AccountNumber attribute, no p2', async () => {
    const a = LocalAssistant.fromFile('media-core/config/demo-assistant.json');
    const ag = await a.message('c', { input: { text: '0' }, context: { is_dtmf: true } });
    const t = ag.output.generic[0]!.transfer_info!.target as unknown as Target;
    assert.deepEqual(t.service_desk.sip.transfer_headers, []);
    assert.deepEqual(t.amazon_connect.custom_data, {});
    assert.deepEqual(t.nice_cxone.custom_data, {});
  });

  test('demo assistant, agent after the account number: all three carry it', async () => {
    const a = LocalAssistant.fromFile('media-core/config/demo-assistant.json');
    const ag = await a.message('c', { input: { text: '0' }, context: { is_dtmf: true, account_number: '4321' } });
    const t = ag.output.generic[0]!.transfer_info!.target as unknown as Target;
    assert.deepEqual(t.service_desk.sip.transfer_headers, [{ name: 'X-Account-Number', value: '4321' }]);
    assert.deepEqual(t.amazon_connect.custom_data, { AccountNumber: '4321' });
    assert.deepEqual(t.nice_cxone.custom_data, { p2: '4321' });
  });

  test('fillTemplates: running text reads unset as ""; a value that is only an unset template is left out; set values and non-strings stay', () => {
    const out = fillTemplates(
      {
        text: 'Account {{n}} verified',
        headers: [{ name: 'X-A', value: '{{n}}' }, { name: 'X-B', value: '{{m}}' }, { name: 'X-C', value: 'fixed' }],
        data: { A: '{{n}}', B: '{{ m }}', C: 0, D: false, E: null },
        list: ['{{n}}', '{{m}}'],
      },
      { m: 'M', zero: 0 },
    );
    assert.deepEqual(out, { text: 'Account  verified', headers: [{ name: 'X-B', value: 'M' }, { name: 'X-C', value: 'fixed' }], data: { B: 'M', C: 0, D: false, E: null }, list: ['M'] });
    assert.equal(fillTemplates('{{zero}}', { zero: 0 }), '0', 'zero is a value');
    assert.equal(fillTemplates('{{unset}}', {}), '', 'a lone string still becomes ""');
  });
});
