// nats_req.mjs: a raw NATS client for the cluster tests (npm `nats`).
//
//   node tests/cluster/nats_req.mjs URL SUBJECT [PAYLOAD|-] [--timeout MS]
//       sends one request (PAYLOAD, or stdin with "-", or empty) and prints
//       the reply's body; exit 2 when no reply came within MS (default
//       5000), 3 when nobody listens (no responders), 1 on another error.
//   node tests/cluster/nats_req.mjs URL --sub SUBJECT --count N --wait MS
//       prints the bodies of the first N messages on SUBJECT, one a line;
//       exit 2 when fewer came within MS (those that did are printed).
//   node tests/cluster/nats_req.mjs URL --pub SUBJECT [PAYLOAD|-]
//       publishes one message and flushes.
//   node tests/cluster/nats_req.mjs URL --kv-get BUCKET KEY
//       prints the JetStream KV value as hex; exit 2 when the key (or the
//       bucket) is missing.
// A PAYLOAD of the form "hex:0a1bff" is sent as those bytes. TLS:
// --tls-ca FILE [--tls-cert FILE --tls-key FILE].
import { connect } from "nats";
import { readFileSync } from "node:fs";

function usage() {
  console.error("usage: nats_req.mjs URL SUBJECT [PAYLOAD|-] [--timeout MS]\n" +
                "       nats_req.mjs URL --sub SUBJECT --count N --wait MS\n" +
                "       nats_req.mjs URL --pub SUBJECT [PAYLOAD|-]\n" +
                "       nats_req.mjs URL --kv-get BUCKET KEY");
  process.exit(64);
}

const args = process.argv.slice(2);
const opts = { timeout: 5000, count: 1, wait: 5000 };
const pos = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === "--timeout") opts.timeout = Number(args[++i]);
  else if (a === "--count") opts.count = Number(args[++i]);
  else if (a === "--wait") opts.wait = Number(args[++i]);
  else if (a === "--sub") opts.sub = args[++i];
  else if (a === "--pub") opts.pub = args[++i];
  else if (a === "--tls-ca") (opts.tls ??= {}).caFile = args[++i];
  else if (a === "--tls-cert") (opts.tls ??= {}).certFile = args[++i];
  else if (a === "--tls-key") (opts.tls ??= {}).keyFile = args[++i];
  else if (a === "--time") opts.time = true;
  else if (a === "--also") opts.also = [args[++i], args[++i]];
  else if (a === "--after") opts.after = Number(args[++i]);
  else if (a === "--kv-get") opts.kv = [args[++i], args[++i]];
  else pos.push(a);
}
if (pos.length < 1) usage();
const url = pos[0];

function payload(p) {
  if (p === undefined) return new Uint8Array(0);
  if (p === "-") return new Uint8Array(readFileSync(0));
  if (p.startsWith("hex:")) return new Uint8Array(Buffer.from(p.slice(4), "hex"));
  return new TextEncoder().encode(p);
}
const text = (d) => new TextDecoder().decode(d);

let nc;
try {
  nc = await connect({ servers: url, timeout: 3000, reconnect: false,
                       ...(opts.tls ? { tls: opts.tls } : {}) });
} catch (e) {
  console.error(`nats_req: cannot connect to ${url}: ${e.message}`);
  process.exit(1);
}

let rc = 0;
try {
  if (opts.sub) {
    const sub = nc.subscribe(opts.sub, { max: opts.count });
    await nc.flush(); // the subscription is on the server before we wait
    console.error(`nats_req: subscribed to ${opts.sub}`);
    const timer = setTimeout(() => { rc = 2; sub.unsubscribe(); }, opts.wait);
    let n = 0;
    for await (const m of sub) {
      console.log(text(m.data));
      if (++n >= opts.count) break;
    }
    clearTimeout(timer);
    if (n < opts.count) rc = 2;
  } else if (opts.kv) {
    try {
      const kv = await nc.jetstream().views.kv(opts.kv[0], { bindOnly: true });
      const e = await kv.get(opts.kv[1]);
      if (!e || e.operation !== "PUT") { console.error("nats_req: no such key"); rc = 2; }
      else console.log(Buffer.from(e.value).toString("hex"));
    } catch (e) {
      console.error(`nats_req: ${e.message}`);
      rc = 2;
    }
  } else if (opts.pub) {
    nc.publish(opts.pub, payload(pos[1]));
    await nc.flush();
  } else {
    if (pos.length < 2) usage();
    const one = async (subject, body) => {
      try {
        const m = await nc.request(subject, payload(body), { timeout: opts.timeout });
        return text(m.data);
      } catch (e) {
        const code = String(e.code);
        if (code === "TIMEOUT") { console.error("nats_req: timeout"); rc = 2; }
        else if (code === "503") { console.error("nats_req: no responders"); rc = 3; }
        else { console.error(`nats_req: ${e.message}`); rc = 1; }
        return "";
      }
    };
    const t0 = performance.now();
    const first = one(pos[1], pos[2]).then((r) => {
      if (opts.time) console.error(`time_ms ${Math.round(performance.now() - t0)}`);
      return r;
    });
    let second = null;
    if (opts.also) {
      await new Promise((r) => setTimeout(r, opts.after || 0));
      second = one(opts.also[0], opts.also[1]);
    }
    console.log(await first);
    if (second) console.log(await second);
  }
} finally {
  await nc.close();
}
process.exit(rc);
