import { launchChromium } from '../../support/chromium';

describe('launchChromium', () => {
  it('fails, saying how to get a Chromium, when there is none', async () => {
    await expect(launchChromium([])).rejects.toThrow(/No Chromium found.*npm ci.*apt-get install -y chromium.*CHROMIUM_PATH/);
  });

  it('names every binary it tried when none starts', async () => {
    await expect(launchChromium(['/nonexistent/chromium'])).rejects.toThrow(/Tried: \/nonexistent\/chromium: /);
  });
});
