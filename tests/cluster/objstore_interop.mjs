// objstore_interop.mjs: the other side of tests/cluster/run_nats_plugins.sh,
// an object store client of npm `nats` (not nats.c), to prove that what
// Stratus's blobstore backend (src/plugins/pl_nats_blob.c) writes reads
// back here and the reverse.
//
//   node objstore_interop.mjs URL put BUCKET NAME FILE   stores FILE (creates the bucket)
//   node objstore_interop.mjs URL get BUCKET NAME FILE   writes the object to FILE;
//                                                        exit 3 when missing
//   node objstore_interop.mjs URL info BUCKET NAME       size chunks digest deleted
//   node objstore_interop.mjs URL list BUCKET            the names, sorted, one a line
//   node objstore_interop.mjs URL delete BUCKET NAME
import { readFileSync, writeFileSync } from "node:fs";
import { connect } from "nats";

const [url, what, bucket, name, file] = process.argv.slice(2);
const nc = await connect({ servers: url, timeout: 3000, reconnect: false });
let rc = 0;
try {
  const os = await nc.jetstream().views.os(bucket);
  if (what === "put") {
    const info = await os.putBlob({ name }, new Uint8Array(readFileSync(file)));
    console.log(`${info.size} ${info.chunks}`);
  } else if (what === "get") {
    const data = await os.getBlob(name);
    if (data === null) {
      console.error(`no object ${name} in ${bucket}`);
      rc = 3;
    } else {
      writeFileSync(file, data);
    }
  } else if (what === "info") {
    const i = await os.info(name);
    if (i === null) {
      console.error(`no object ${name} in ${bucket}`);
      rc = 3;
    } else {
      console.log(`${i.size} ${i.chunks} ${i.digest} ${i.deleted}`);
    }
  } else if (what === "list") {
    const names = (await os.list()).filter((i) => !i.deleted).map((i) => i.name).sort();
    for (const n of names) console.log(n);
  } else if (what === "delete") {
    await os.delete(name);
  } else {
    console.error(`unknown command ${what}`);
    rc = 2;
  }
} catch (e) {
  console.error(`${what}: ${e.message}`);
  rc = 1;
} finally {
  await nc.close();
}
process.exit(rc);
