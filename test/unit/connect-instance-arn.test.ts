import { test } from 'node:test';
import assert from 'node:assert/strict';
import { instanceIdFromArn } from '../../adapters/amazon-connect/translate.ts';

test('instanceIdFromArn: the id of a Connect instance ARN in any partition; anything else is undefined', () => {
  const id = '3f1c1e2a-8b7d-4c5e-9f00-123456789abc';
  assert.equal(instanceIdFromArn(`arn:aws:connect:us-east-1:123456789012:instance/${id}`), id);
  assert.equal(instanceIdFromArn(`arn:aws-us-gov:connect:us-gov-west-1:123456789012:instance/${id}`), id);
  for (const bad of [
    undefined,
    '',
    `arn:aws:connect:us-east-1:123456789012:instance/${id}/contact/x`,
    `arn:aws:connect:us-east-1:12345:instance/${id}`,
    `arn:aws:s3:us-east-1:123456789012:instance/${id}`,
    `arn:aws:connect:us-east-1:123456789012:instance/${'a'.repeat(101)}`,
    `arn:aws:connect:us-east-1:123456789012:instance/a b`,
  ]) assert.equal(instanceIdFromArn(bad), undefined, String(bad));
});
