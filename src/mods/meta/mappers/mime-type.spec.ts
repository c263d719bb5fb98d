import { isHeavyMedia, metaAttachmentType } from './mime-type';

describe('metaAttachmentType', () => {
  it.each([
    ['image/png', 'image'],
    ['image/jpeg', 'image'],
    ['IMAGE/GIF', 'image'],
    ['video/mp4', 'video'],
    ['audio/mpeg', 'audio'],
    ['audio/ogg; codecs=opus', 'audio'],
    ['application/pdf', 'file'],
    ['text/plain', 'file'],
    ['application/octet-stream', 'file'],
    ['', 'file'],
    [null, 'file'],
    ['imagex/png', 'file'],
  ])('maps %p to %p', (mime, type) => {
    expect(metaAttachmentType(mime)).toBe(type);
  });

  it('puts audio and video on the tighter rate limit only', () => {
    expect(['image', 'video', 'audio', 'file'].filter((t) => isHeavyMedia(t as never))).toEqual(['video', 'audio']);
  });
});
