// node_wasi.mjs: runs a WASI preview1 command module under Node.js, the
// reference runner of bench/run.sh.   node bench/node_wasi.mjs PROG.wasm [ARGS...]
import { WASI } from 'node:wasi';
import { readFile } from 'node:fs/promises';
import { argv, env, exit } from 'node:process';

if (argv.length < 3) {
  console.error('usage: node node_wasi.mjs PROG.wasm [ARGS...]');
  exit(2);
}
const wasi = new WASI({
  version: 'preview1',
  args: argv.slice(2),
  env: {},
  returnOnExit: true,
});
const module = await WebAssembly.compile(await readFile(argv[2]));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
exit(wasi.start(instance));
