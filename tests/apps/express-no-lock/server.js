// Fixture: answers /health with 200 once `cross-env` (run from node_modules/.bin by `npm start`) set the greeting.
const express = require("express");
const { greeting } = require("./scripts/greeting");

const app = express();
app.get("/health", (request, response) => {
  if (!process.env.APP_GREETING) {
    response.status(500).send("APP_GREETING missing: the start script's CLI did not run");
    return;
  }
  response.json({ status: "ok", greeting: greeting() });
});

const port = Number(process.env.PORT || 3000);
app.listen(port, "127.0.0.1", () => console.log(`listening on ${port}`));
