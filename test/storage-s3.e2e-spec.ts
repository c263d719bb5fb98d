import { StorageService } from '../src/storage/storage.service';
import { FakeS3Server } from './support/fake-s3-server';
import { TestApp } from './support/test-app';

describe('S3-compatible attachment storage', () => {
  let s3: FakeS3Server;
  let t: TestApp;

  beforeAll(async () => {
    s3 = await FakeS3Server.start('AKIDE2E');
    t = await TestApp.start({
      S3_BUCKET: 'inbox-media',
      S3_ENDPOINT: s3.url,
      S3_ACCESS_KEY_ID: 'AKIDE2E',
      S3_SECRET_ACCESS_KEY: 'e2e-secret',
    });
  });
  afterAll(async () => {
    await t.close();
    await s3.stop();
  });

  it('keeps stored files in the bucket and serves them at their signed URL', async () => {
    const storage = t.app.get(StorageService);
    const key = await storage.store(Buffer.from('%PDF-1.4 fake'), 'application/pdf');
    expect(s3.objects.get(`/inbox-media/${key}`)?.contentType).toBe('application/pdf');

    const url = new URL(storage.signedUrl(key));
    const res = await fetch(`${t.baseUrl}${url.pathname}${url.search}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    expect(await res.text()).toBe('%PDF-1.4 fake');
  });

  it('answers 404 for a signed URL whose object is gone from the bucket', async () => {
    const storage = t.app.get(StorageService);
    const key = await storage.store(Buffer.from('bye'), 'text/plain');
    await storage.delete(key);
    const url = new URL(storage.signedUrl(key));
    expect((await fetch(`${t.baseUrl}${url.pathname}${url.search}`)).status).toBe(404);
  });
});
