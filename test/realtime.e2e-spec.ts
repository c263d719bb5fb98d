import { RealtimePublisher } from '../src/realtime/realtime.publisher';
import { RecordingSocket } from './support/socket-client';
import { TestApp } from './support/test-app';

describe('realtime handshake and rooms', () => {
  let t: TestApp;
  const sockets: RecordingSocket[] = [];

  beforeAll(async () => {
    t = await TestApp.start();
  });
  afterAll(async () => {
    sockets.forEach((s) => s.close());
    await t.close();
  });

  it.each([
    ['without a token', undefined],
    ['with a wrong token', 'mi_live_not-a-key'],
  ])('refuses a socket %s', async (_, token) => {
    await expect(RecordingSocket.connect(t.baseUrl, token)).rejects.toThrow('unauthorized');
  });

  it("delivers an organization's events to its sockets only", async () => {
    const acme = await t.createOrganization('Acme');
    const other = await t.createOrganization('Other');
    const mine = await RecordingSocket.connect(t.baseUrl, acme.apiKey);
    const theirs = await RecordingSocket.connect(t.baseUrl, other.apiKey);
    sockets.push(mine, theirs);
    const status = { connected: false, status: null, pageId: null, pageName: null, instagramAccountId: null, instagramUsername: null };
    t.app.get(RealtimePublisher).publish(acme.id, 'connection.updated', status);
    await expect(mine.waitFor('connection.updated')).resolves.toEqual(status);
    await new Promise((r) => setTimeout(r, 200));
    expect(theirs.events).toHaveLength(0);
  });
});
