// Fixture: the compiled entry point (dist/index.js) answers /api/health; the package must carry dist/.
import { createServer, IncomingMessage, ServerResponse } from "node:http";

export function health(request: IncomingMessage, response: ServerResponse): void {
  const found = request.url === "/api/health";
  response.writeHead(found ? 200 : 404, { "content-type": "application/json" });
  response.end(JSON.stringify({ status: found ? "ok" : "not found", compiled: __filename.endsWith(".js") }));
}

const port = Number(process.env.PORT ?? 7071);
createServer(health).listen(port, "127.0.0.1", () => console.log(`listening on ${port}`));
