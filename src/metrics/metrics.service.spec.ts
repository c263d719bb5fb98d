import { graphPathShape, Metrics } from './metrics.service';

describe('graphPathShape', () => {
  it.each([
    ['me/messages', 'me/messages'],
    ['/17841400000000001/messages', '{id}/messages'],
    ['104000000000001/subscribed_apps', '{id}/subscribed_apps'],
    ['oauth/access_token', 'oauth/access_token'],
    ['6100000000000001', '{id}'],
    ['me/accounts?fields=id', 'me/accounts'],
  ])('keeps one series per kind of call: %s → %s', (path, shape) => {
    expect(graphPathShape(path)).toBe(shape);
  });
});

describe('Metrics', () => {
  it('runs its collectors at each scrape and prints Prometheus text', async () => {
    const metrics = new Metrics();
    let scrapes = 0;
    metrics.addCollector(async () => {
      scrapes++;
      metrics.jobsWaiting.set({ kind: 'k' }, scrapes);
    });
    metrics.sendSettled('facebook_messenger', 'failed', 100);
    const text = await metrics.render();
    expect(text).toContain('meta_inbox_jobs_waiting{kind="k"} 1');
    expect(text).toContain('meta_inbox_sends_total{channel="facebook_messenger",status="failed",code="100"} 1');
    expect(await metrics.render()).toContain('meta_inbox_jobs_waiting{kind="k"} 2');
  });
});
