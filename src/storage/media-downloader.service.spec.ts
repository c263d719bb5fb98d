import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { loadConfig } from '../config/app-config';
import { isPrivateAddress } from '../common/vetted-address';
import { MediaDownloader, MediaDownloadError } from './media-downloader.service';

describe('private address check', () => {
  it.each(['127.0.0.1', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1', '::1', '::', 'fe80::1', 'fd00::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1', 'not-an-ip'])(
    'refuses %s',
    (address) => expect(isPrivateAddress(address)).toBe(true),
  );

  it.each(['157.240.1.1', '31.13.64.35', '8.8.8.8', '172.32.0.1', '2a03:2880:f10c:83:face:b00c:0:25de', '::ffff:157.240.1.1'])('allows public %s', (address) =>
    expect(isPrivateAddress(address)).toBe(false),
  );
});

describe('MediaDownloader', () => {
  let server: Server;
  let base: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/photo') {
        res.writeHead(200, { 'content-type': 'image/jpeg; charset=binary' });
        res.end(Buffer.alloc(1000, 1));
      } else if (req.url === '/redirect') {
        res.writeHead(302, { location: '/photo' });
        res.end();
      } else if (req.url === '/big-undeclared') {
        res.writeHead(200, { 'content-type': 'video/mp4' });
        for (let i = 0; i < 10; i++) res.write(Buffer.alloc(1000));
        res.end();
      } else if (req.url === '/slow') {
        res.writeHead(200, { 'content-type': 'image/png' });
        res.write('x');
      } else if (req.url === '/gone') {
        res.writeHead(404);
        res.end();
      } else {
        res.writeHead(503);
        res.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const downloader = (env: Record<string, string> = {}) => new MediaDownloader(loadConfig({ MEDIA_ALLOW_PRIVATE_NETWORKS: 'true', ...env }));

  const failure = (promise: Promise<unknown>) =>
    promise.then(
      () => {
        throw new Error('expected the download to fail');
      },
      (error: MediaDownloadError) => error,
    );

  it('copies a file with its content type and size, following redirects', async () => {
    const media = await downloader().download(`${base}/redirect`);
    expect(media).toEqual({ body: Buffer.alloc(1000, 1), contentType: 'image/jpeg', size: 1000 });
  });

  it('refuses loopback and private hosts unless they are allowed', async () => {
    const strict = downloader({ MEDIA_ALLOW_PRIVATE_NETWORKS: 'false' });
    for (const url of [`${base}/photo`, 'http://localhost/photo', 'http://[::1]/photo', 'http://169.254.169.254/latest/meta-data']) {
      const error = await failure(strict.download(url));
      expect(error).toBeInstanceOf(MediaDownloadError);
      expect(error.permanent).toBe(true);
      expect(error.message).toMatch(/private or loopback/);
    }
  });

  it.each(['ftp://example.com/file', 'file:///etc/passwd', 'javascript:alert(1)', 'not a url'])('refuses %s (http(s) only)', async (url) => {
    const error = await failure(downloader().download(url));
    expect(error.permanent).toBe(true);
  });

  it('stops reading past the size cap, declared or not', async () => {
    const error = await failure(downloader().download(`${base}/big-undeclared`, { maxBytes: 5000 }));
    expect(error.message).toMatch(/larger than 5000 bytes/);
    expect(error.permanent).toBe(true);
    const declared = await failure(downloader().download(`${base}/photo`, { maxBytes: 10 }));
    expect(declared.message).toMatch(/larger than 10 bytes/);
  });

  it('gives up after its deadline, as a failure worth retrying', async () => {
    const error = await failure(downloader().download(`${base}/slow`, { timeoutMs: 200 }));
    expect(error.message).toMatch(/timed out/);
    expect(error.permanent).toBe(false);
  });

  it('treats 404 as permanent and 5xx as transient', async () => {
    expect((await failure(downloader().download(`${base}/gone`))).permanent).toBe(true);
    expect((await failure(downloader().download(`${base}/broken`))).permanent).toBe(false);
  });
});
