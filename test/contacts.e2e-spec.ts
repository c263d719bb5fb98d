import { addFacebookIdentity, addInstagramIdentity, createContact } from './support/factories';
import { TestApp } from './support/test-app';

describe('GET /api/contacts/:id', () => {
  let t: TestApp;
  let acme: { id: string; apiKey: string };
  let other: { id: string; apiKey: string };

  beforeAll(async () => {
    t = await TestApp.start();
    acme = await t.createOrganization('Acme');
    other = await t.createOrganization('Other');
  });
  afterAll(() => t.close());

  it('shows the profile, the Messenger and Instagram identities and the routing signals', async () => {
    const id = await createContact(t.db, acme.id, {
      displayName: 'Ada Lovelace',
      firstName: 'Ada',
      lastName: 'Lovelace',
      username: 'ada.codes',
      avatarUrl: 'https://cdn.example/ada.jpg',
      followerCount: 5321,
      isVerifiedUser: true,
      isUserFollowBusiness: true,
      isBusinessFollowUser: false,
    });
    await addFacebookIdentity(t.db, id, 'page-1', 'psid-ada');
    await addInstagramIdentity(t.db, id, 'ig-1', 'igsid-ada');
    const res = await t.request('GET', `/api/contacts/${id}`, { token: acme.apiKey });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      id,
      displayName: 'Ada Lovelace',
      firstName: 'Ada',
      lastName: 'Lovelace',
      username: 'ada.codes',
      avatarUrl: 'https://cdn.example/ada.jpg',
      identities: expect.arrayContaining([
        { channel: 'facebook_messenger', externalId: 'psid-ada', pageId: 'page-1' },
        { channel: 'instagram_dm', externalId: 'igsid-ada', igAccountId: 'ig-1' },
      ]),
      signals: { followerCount: 5321, isVerifiedUser: true, isUserFollowBusiness: true, isBusinessFollowUser: false },
      createdAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
    });
    expect(res.body.identities).toHaveLength(2);
  });

  it('shows a contact whose profile is not fetched yet with nulls and no identities', async () => {
    const id = await createContact(t.db, acme.id);
    const res = await t.request('GET', `/api/contacts/${id}`, { token: acme.apiKey });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      displayName: null,
      firstName: null,
      username: null,
      identities: [],
      signals: { followerCount: null, isVerifiedUser: null, isUserFollowBusiness: null, isBusinessFollowUser: null },
    });
  });

  it.each([
    ["another organization's contact", async () => createContact(t.db, other.id, { displayName: 'Secret' })],
    ['an unknown id', async () => '00000000-0000-4000-8000-000000000000'],
    ['a malformed id', async () => 'not-a-uuid'],
  ])('answers 404 for %s', async (_, id) => {
    const res = await t.request('GET', `/api/contacts/${await id()}`, { token: acme.apiKey });
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ statusCode: 404, error: 'Not Found', message: expect.any(String) });
    expect(JSON.stringify(res.body)).not.toContain('Secret');
  });

  it('answers 401 without a valid API key', async () => {
    const id = await createContact(t.db, acme.id);
    expect((await t.request('GET', `/api/contacts/${id}`)).status).toBe(401);
    expect((await t.request('GET', `/api/contacts/${id}`, { token: 'mi_live_wrong' })).status).toBe(401);
  });

  it('documents the route with the contact view', async () => {
    const res = await t.request('GET', '/docs-json');
    const schema = res.body.paths['/api/contacts/{id}'].get.responses['200'].content['application/json'].schema;
    expect(schema.$ref).toContain('ContactView');
  });
});
