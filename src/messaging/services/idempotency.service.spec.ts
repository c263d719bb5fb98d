import { canonicalJson, requestHash } from './idempotency.service';

describe('request hashing for Idempotency-Key', () => {
  it('ignores the order of keys', () => {
    expect(requestHash({ channel: 'facebook_messenger', text: 'Hi', contactId: 'c1' })).toBe(
      requestHash({ contactId: 'c1', text: 'Hi', channel: 'facebook_messenger' }),
    );
  });

  it('ignores absent fields but not their values', () => {
    expect(requestHash({ text: 'Hi', tag: undefined })).toBe(requestHash({ text: 'Hi' }));
    expect(requestHash({ text: 'Hi' })).not.toBe(requestHash({ text: 'Hi!' }));
  });

  it('keeps the order of attachments, which is the order of sending', () => {
    expect(requestHash({ attachmentIds: ['a', 'b'] })).not.toBe(requestHash({ attachmentIds: ['b', 'a'] }));
  });

  it('writes nested objects canonically', () => {
    expect(canonicalJson({ b: [2, { y: 1, x: null }], a: 'é' })).toBe('{"a":"é","b":[2,{"x":null,"y":1}]}');
  });
});
