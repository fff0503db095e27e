// A real phoenix.js client (npm "phoenix" 1.8 + "ws") against the AirAlgo simulator.
// usage: node phoenix_client.cjs <http-base> <ws-url> <api-key> <seconds>
// Prints one JSON line per event of interest; exits 0 when it saw the join, heartbeat replies and ltp pushes.
const { Socket } = require("phoenix");
const WebSocket = require("ws");

const [httpBase, wsUrl, apiKey, seconds] = process.argv.slice(2);
const socketUrl = wsUrl.replace(/\/websocket$/, "");

async function main() {
  const res = await fetch(`${httpBase}/api/token/?api_key=${encodeURIComponent(apiKey)}`);
  const body = await res.json();
  if (body.status !== "ok") throw new Error("token endpoint said " + JSON.stringify(body.status));
  const socket = new Socket(socketUrl, { transport: WebSocket, heartbeatIntervalMs: 500 });
  let heartbeats = 0, ticks = 0, joined = false;
  socket.onMessage((msg) => {
    if (msg.topic === "phoenix" && msg.event === "phx_reply" && msg.payload.status === "ok") heartbeats++;
  });
  socket.onError(() => console.log(JSON.stringify({ event: "socket_error" })));
  socket.connect();
  const channel = socket.channel(`api:${apiKey}`, { access_token: body.access_token });
  channel.on("ltp", (payload) => { ticks += Object.keys(payload).length; });
  channel.join()
    .receive("ok", () => {
      joined = true;
      console.log(JSON.stringify({ event: "joined" }));
      channel.push("subscribe", { list: ["22", "2885"] });
    })
    .receive("error", (resp) => { console.log(JSON.stringify({ event: "join_error", reason: resp.reason })); process.exit(2); });
  await new Promise((r) => setTimeout(r, Number(seconds) * 1000));
  console.log(JSON.stringify({ event: "summary", joined, heartbeats, ticks, vsn: socket.vsn }));
  socket.disconnect();
  process.exit(joined && heartbeats >= 2 && ticks > 0 ? 0 : 1);
}
main().catch((e) => { console.log(JSON.stringify({ event: "crash", message: String(e) })); process.exit(3); });
