import { cdnExpiry, mapAttachment } from './attachment.mapper';

const NOW = 1_800_000_000_000;

describe('story mentions', () => {
  it("keep Meta's CDN URL as remote media, never as a file to copy", () => {
    const url = 'https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=4&signature=w';
    expect(mapAttachment({ type: 'story_mention', payload: { url } }, NOW)).toEqual({
      type: 'story_mention',
      url: null,
      remoteUrl: url,
      remoteExpiresAt: NOW + 24 * 3600 * 1000,
      payload: { url },
    });
  });

  it("expire when Meta's oe parameter says (hex unix seconds), else after a story's 24 hours", () => {
    expect(cdnExpiry('https://scontent.cdninstagram.com/v/x.jpg?_nc_cat=1&oe=6776A400', NOW).getTime()).toBe(0x6776a400 * 1000);
    expect(cdnExpiry('https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=4', NOW).getTime()).toBe(NOW + 24 * 3600 * 1000);
  });
});
