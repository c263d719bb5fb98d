import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MessageChannel } from '../../../messaging/message-channel';
import type { WebhookBody } from '../types/webhook.types';
import { commentsLaneOf, mapCommentChange, splitChanges } from './comment-change.mapper';

const fixture = (name: string): WebhookBody =>
  JSON.parse(readFileSync(join(__dirname, '../../../../test/fixtures/webhooks', `${name}.json`), 'utf8')) as WebhookBody;

const PAGE = '106700000000001';
const IG = '17841400000000001';
const NOW = 1_800_000_000_000;

function mapAll(name: string, channel: MessageChannel) {
  const [batch] = splitChanges(fixture(name), channel, NOW).filter((b) => b.payload.changes.length > 1);
  return batch.payload.changes.map((item) => mapCommentChange(channel, batch.payload.accountId, item, NOW));
}

describe('Page feed comment changes', () => {
  const changes = () => mapAll('page-feed-comments', MessageChannel.FacebookMessenger);

  it('maps a new comment: the post as parent means no parent comment, Meta time in ms', () => {
    expect(changes()[0]).toEqual({
      type: 'added',
      externalId: '900000000000001_1200000000000001',
      postId: '106700000000001_900000000000001',
      parentExternalId: null,
      text: 'Do you ship to Lisbon?',
      author: { externalId: '24000000000000001', name: 'Ana Sousa', username: null },
      byAccount: false,
      at: 1735689700000,
    });
  });

  it("maps the Page's own reply as the account's, with its parent comment", () => {
    expect(changes()[1]).toMatchObject({ type: 'added', parentExternalId: '900000000000001_1200000000000001', byAccount: true, text: 'We do! Check your messages.' });
  });

  it('maps edited, hide, unhide and remove verbs', () => {
    const [, , edited, hide, unhide, remove] = changes();
    expect(edited).toMatchObject({ type: 'edited', externalId: '900000000000001_1200000000000001', text: 'Do you ship to Lisbon and Porto?' });
    expect(hide).toEqual({ type: 'visibility', externalId: '900000000000001_1200000000000001', hidden: true, at: 1735689800000 });
    expect(unhide).toEqual({ type: 'visibility', externalId: '900000000000001_1200000000000001', hidden: false, at: 1735689810000 });
    expect(remove).toEqual({ type: 'removed', externalId: '900000000000001_1200000000000001', at: 1735689900000 });
  });

  it('ignores feed items that are not comments', () => {
    expect(changes()[6]).toEqual({ type: 'ignored', reason: 'feed item "reaction"' });
  });

  it("keeps one post's changes in one queue, in Meta's order", () => {
    const batches = splitChanges(fixture('page-feed-comments'), MessageChannel.FacebookMessenger, NOW);
    expect(batches.map((b) => [b.lane, b.payload.changes.length])).toEqual([[commentsLaneOf(`${PAGE}:106700000000001_900000000000001`), 7]]);
  });
});

describe('Instagram comment changes', () => {
  const body = () => fixture('instagram-comments');
  const mapped = () =>
    splitChanges(body(), MessageChannel.InstagramDm, NOW).flatMap((b) => b.payload.changes.map((item) => mapCommentChange(MessageChannel.InstagramDm, IG, item, NOW)));

  it('maps a comment with its media, username and entry time (seconds) as its time', () => {
    expect(mapped()[0]).toEqual({
      type: 'added',
      externalId: '17860000000000001',
      postId: '17900000000000001',
      parentExternalId: null,
      text: 'Is this in stock?',
      author: { externalId: '1200000000000001', name: null, username: 'ana.sousa' },
      byAccount: false,
      at: 1735689700000,
    });
  });

  it("maps the account's own reply with its parent", () => {
    expect(mapped()[1]).toMatchObject({ type: 'added', parentExternalId: '17860000000000001', byAccount: true });
  });

  it('maps live comments and ignores other fields', () => {
    expect(mapped()[2]).toMatchObject({ type: 'added', externalId: '17860000000000003', postId: '17900000000000002' });
    expect(mapped()[3]).toEqual({ type: 'ignored', reason: 'Instagram field "mentions"' });
  });

  it('queues by media', () => {
    expect(splitChanges(body(), MessageChannel.InstagramDm, NOW).map((b) => b.lane)).toEqual([
      commentsLaneOf(`${IG}:17900000000000001`),
      commentsLaneOf(`${IG}:17900000000000002`),
      commentsLaneOf(`${IG}:17900000000000003`),
    ]);
  });
});
