import { ConfigError, loadConfig } from './app-config';

describe('loadConfig', () => {
  it('works with an empty environment, using the documented defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 3000,
      host: '0.0.0.0',
      databaseUrl: undefined,
      publicUrl: 'http://localhost:3000',
      metaGraphUrl: 'https://graph.facebook.com',
      metaGraphVersion: 'v21.0',
      metaOauthDialogUrl: 'https://www.facebook.com',
      logLevel: 'info',
    });
    expect(config.dataDir).toMatch(/\.data$/);
  });

  it('reads CORS_ORIGINS as a list of origins, * for any, empty for same-origin only', () => {
    expect(loadConfig({}).corsOrigins).toEqual([]);
    expect(loadConfig({ CORS_ORIGINS: '*' }).corsOrigins).toEqual(['*']);
    expect(loadConfig({ CORS_ORIGINS: 'https://app.example.com, http://localhost:5173/' }).corsOrigins).toEqual([
      'https://app.example.com',
      'http://localhost:5173',
    ]);
  });

  it('trusts no proxy unless TRUST_PROXY names them', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'false' }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1,::1' }).trustProxy).toEqual(['10.0.0.0/8', '127.0.0.1', '::1']);
  });

  it('derives PUBLIC_URL from PORT and strips trailing slashes', () => {
    expect(loadConfig({ PORT: '8080' }).publicUrl).toBe('http://localhost:8080');
    expect(loadConfig({ PUBLIC_URL: 'https://inbox.example.com/' }).publicUrl).toBe('https://inbox.example.com');
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['DATABASE_URL', 'mysql://x'],
    ['PUBLIC_URL', 'not a url'],
    ['META_GRAPH_URL', 'ftp://graph'],
    ['META_GRAPH_VERSION', '21'],
    ['LOG_LEVEL', 'loud'],
    ['ENCRYPTION_KEY', 'too-short'],
    ['ADMIN_TOKEN', 'short'],
    ['MEDIA_ALLOW_PRIVATE_NETWORKS', 'maybe'],
    ['MAX_ATTACHMENT_BYTES', '-1'],
    ['CORS_ORIGINS', 'app.example.com'],
    ['CORS_ORIGINS', 'https://app.example.com/path'],
    ['CORS_ORIGINS', 'https://a.example.com,*'],
    ['TRUST_PROXY', 'my-load-balancer'],
    ['TRUST_PROXY', '10.0.0.0/33'],
    ['META_GRAPH_BATCH_SIZE', '51'],
    ['META_GRAPH_BATCH_SIZE', '0'],
  ])('refuses %s=%s with a message naming it', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(name);
  });

  it('accepts a 32-byte ENCRYPTION_KEY as hex or base64', () => {
    expect(loadConfig({ ENCRYPTION_KEY: 'a'.repeat(64) }).encryptionKey).toBe('a'.repeat(64));
    const base64 = Buffer.alloc(32, 7).toString('base64');
    expect(loadConfig({ ENCRYPTION_KEY: base64 }).encryptionKey).toBe(base64);
  });
});
