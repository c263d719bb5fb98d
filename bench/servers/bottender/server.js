// bottender's documented custom-server setup (express + body-parser keeping the raw body for
// its X-Hub-Signature check), production mode. Run with cwd = this folder and NODE_PATH
// pointing at bench/.tmp/peer/node_modules.
const bodyParser = require('body-parser');
const express = require('express');
const { bottender } = require('bottender');

const app = bottender({ dev: false });
const handle = app.getRequestHandler();

app.prepare().then(() => {
  const server = express();
  server.use(
    bodyParser.json({
      limit: '1mb',
      verify: (req, _res, buf) => {
        req.rawBody = buf.toString();
      },
    }),
  );
  server.all('*', (req, res) => handle(req, res));
  const listener = server.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
    process.stdout.write(`listening ${listener.address().port}\n`);
  });
});
