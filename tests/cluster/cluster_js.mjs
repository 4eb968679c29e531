// cluster_js.mjs: JetStream reads and publishes for tests/cluster/run_cluster.sh,
// through npm `nats` (another client than the host's nats.c), to prove
// that what a workload wrote is in JetStream.
//
//   node cluster_js.mjs URL kv BUCKET KEY        the KV entry's value (text),
//                                               exit 3 when missing
//   node cluster_js.mjs URL counter BUCKET KEY   a counter (8 big-endian
//                                               bytes) as a decimal number
//   node cluster_js.mjs URL obj BUCKET NAME      an object store object (text)
//   node cluster_js.mjs URL pub SUBJECT N        publishes N messages "m<i>"
import { connect } from "nats";

const [url, what, a, b] = process.argv.slice(2);
const nc = await connect({ servers: url, timeout: 3000, reconnect: false });
let rc = 0;
try {
  const js = nc.jetstream();
  if (what === "kv" || what === "counter") {
    const kv = await js.views.kv(a, { bindOnly: true });
    const e = await kv.get(b);
    if (!e || e.operation !== "PUT") {
      console.error(`no entry ${b} in KV bucket ${a}`);
      rc = 3;
    } else if (what === "kv") {
      process.stdout.write(new TextDecoder().decode(e.value) + "\n");
    } else {
      const v = e.value;
      if (v.length !== 8) throw new Error(`counter ${b} has ${v.length} bytes, not 8`);
      console.log(Buffer.from(v).readBigUInt64BE(0).toString());
    }
  } else if (what === "obj") {
    const os = await js.views.os(a);
    const data = await os.getBlob(b);
    if (data === null) {
      console.error(`no object ${b} in object store ${a}`);
      rc = 3;
    } else {
      process.stdout.write(new TextDecoder().decode(data) + "\n");
    }
  } else if (what === "pub") {
    for (let i = 0; i < Number(b); i++) nc.publish(a, new TextEncoder().encode(`m${i}`));
    await nc.flush();
  } else {
    console.error("usage: cluster_js.mjs URL kv|counter|obj BUCKET KEY | pub SUBJECT N");
    rc = 64;
  }
} catch (e) {
  console.error(`cluster_js: ${e.message}`);
  rc = 1;
}
await nc.close();
process.exit(rc);
