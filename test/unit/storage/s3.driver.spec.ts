import { text } from 'node:stream/consumers';
import { loadConfig } from '../../../src/config/app-config';
import { LocalDiskDriver } from '../../../src/storage/local-disk.driver';
import { S3Driver } from '../../../src/storage/s3.driver';
import { createStorageDriver } from '../../../src/storage/storage-driver.factory';
import { FakeS3Server } from '../../support/fake-s3-server';

describe('storage driver selection', () => {
  const base = { DATABASE_URL: 'postgres://localhost/x', DATA_DIR: '/tmp/meta-inbox-unit' };

  it('uses local disk without S3_BUCKET', () => {
    expect(createStorageDriver(loadConfig(base))).toBeInstanceOf(LocalDiskDriver);
  });

  it('uses S3 when S3_BUCKET is set', () => {
    expect(createStorageDriver(loadConfig({ ...base, S3_BUCKET: 'media', S3_REGION: 'eu-west-1' }))).toBeInstanceOf(S3Driver);
  });
});

describe('S3Driver against an S3-compatible endpoint', () => {
  let s3: FakeS3Server;
  let driver: S3Driver;

  beforeAll(async () => {
    s3 = await FakeS3Server.start('AKIDTEST');
    driver = S3Driver.fromSettings({
      bucket: 'media',
      region: 'us-east-1',
      endpoint: s3.url,
      accessKeyId: 'AKIDTEST',
      secretAccessKey: 'secret',
      forcePathStyle: true,
    });
  });
  afterAll(() => s3.stop());

  it('stores, opens and deletes an object under the bucket, signed with SigV4', async () => {
    await driver.put('0b9f0e8e-key', Buffer.from('hello s3'), 'text/plain');
    expect(s3.objects.get('/media/0b9f0e8e-key')).toEqual({ body: Buffer.from('hello s3'), contentType: 'text/plain' });

    const opened = await driver.open('0b9f0e8e-key');
    expect(opened).toMatchObject({ size: 8, contentType: 'text/plain' });
    expect(await text(opened!.stream)).toBe('hello s3');

    await driver.delete('0b9f0e8e-key');
    expect(s3.objects.has('/media/0b9f0e8e-key')).toBe(false);
    expect(s3.requests.map((r) => r.method)).toEqual(['PUT', 'GET', 'DELETE']);
    expect(s3.requests.every((r) => r.authorization?.includes('/us-east-1/s3/aws4_request'))).toBe(true);
  });

  it('answers undefined for a missing object', async () => {
    await expect(driver.open('missing-key')).resolves.toBeUndefined();
  });

  it('fails loudly when the store refuses the credentials', async () => {
    const wrong = S3Driver.fromSettings({ bucket: 'media', region: 'us-east-1', endpoint: s3.url, accessKeyId: 'OTHER', secretAccessKey: 'x', forcePathStyle: true });
    await expect(wrong.put('some-key', Buffer.from('x'), 'text/plain')).rejects.toThrow();
  });

  it.each(['../etc/passwd', 'a/b', '', 'key with space', 'x.tar.gz'])('refuses the key %j before any request', async (key) => {
    const before = s3.requests.length;
    await expect(driver.put(key, Buffer.from('x'), 'text/plain')).rejects.toThrow('Invalid storage key');
    await expect(driver.open(key)).rejects.toThrow('Invalid storage key');
    expect(s3.requests.length).toBe(before);
  });
});
