import { DataSource } from 'typeorm';
import { DomainEvents } from '../src/events/domain-events.service';
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

  it("delivers an organization's events to its sockets only, naming the log event each comes from", async () => {
    const acme = await t.createOrganization('Acme');
    const other = await t.createOrganization('Other');
    const mine = await RecordingSocket.connect(t.baseUrl, acme.apiKey);
    const theirs = await RecordingSocket.connect(t.baseUrl, other.apiKey);
    sockets.push(mine, theirs);
    const status = { connected: false, status: null, pageId: null, pageName: null, instagramAccountId: null, instagramUsername: null };
    await t.app.get(DataSource).transaction((manager) =>
      t.app.get(DomainEvents).record(manager, acme.id, [{ type: 'connection.updated', object: status, realtime: [{ event: 'connection.updated' }] }]),
    );
    await expect(mine.waitFor('connection.updated')).resolves.toEqual(status);
    const [event] = mine.events;
    expect(event.source).toEqual({ id: expect.any(String), sequence: 1, type: 'connection.updated' });
    await new Promise((r) => setTimeout(r, 200));
    expect(theirs.events).toHaveLength(0);
  });
});
