// One kernel thread: instantiates kernels.wasm over the shared memory and takes chunks of every call it joins
// until the backend sends OP_EXIT (or terminates it). Bundled to dist/kernelWorker.js; run from source under tsx.
import { parentPort, workerData } from 'node:worker_threads';
import { DONE, ERR, GEN, OP, OP_EXIT, SPIN_POLLS, runShare, tryJoin, wasmApi, wasmImports, type KernelExports, type WorkerInit } from './wasm/kernelProtocol.js';

const init = workerData as WorkerInit;
const instance = new wasmApi.Instance(init.module, wasmImports(init.memory));
const ex = instance.exports as unknown as KernelExports;
const workBytes = ex.WORK_BYTES.value as number;
const ctl = new Int32Array(init.control);
const flt = new Float32Array(init.control);

let seen = Atomics.load(ctl, GEN);
parentPort!.postMessage('ready');
for (;;) {
  let polls = 0;
  while (Atomics.load(ctl, GEN) === seen) {
    if (++polls > SPIN_POLLS) Atomics.wait(ctl, GEN, seen);
  }
  seen = Atomics.load(ctl, GEN);
  if (!tryJoin(ctl)) continue;
  if (ctl[OP] === OP_EXIT) break;
  try {
    runShare(ex, ctl, flt, init.tid, workBytes);
  } catch {
    Atomics.store(ctl, ERR, 1);
  }
  Atomics.add(ctl, DONE, 1);
  Atomics.notify(ctl, DONE);
}
parentPort!.close();
