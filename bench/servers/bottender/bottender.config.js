// Read by bottender from the working directory. Credentials come from the bench (env).
module.exports = {
  session: { driver: 'memory', stores: { memory: { maxSize: 500 } } },
  initialState: {},
  channels: {
    messenger: {
      enabled: true,
      path: '/webhooks/messenger',
      pageId: process.env.MESSENGER_PAGE_ID,
      accessToken: process.env.MESSENGER_ACCESS_TOKEN,
      appId: process.env.MESSENGER_APP_ID,
      appSecret: process.env.MESSENGER_APP_SECRET,
      verifyToken: process.env.MESSENGER_VERIFY_TOKEN,
      // Every Graph call (none are expected with a no-op handler) goes to the sandbox.
      origin: process.env.MESSENGER_ORIGIN,
    },
  },
};
