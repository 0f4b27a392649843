import { readFileSync } from 'node:fs';
import { ResponseError, type CancellationToken, type MessageConnection } from 'vscode-jsonrpc/node.js';
import { ModelLabError } from '../../engine/errors.js';
import { createReferenceBackend, createWasmBackend, type KernelBackend } from '../../engine/kernels/index.js';
import { saveModelGguf } from '../../engine/model/saveModelGguf.js';
import { trainModel } from '../../engine/train/index.js';
import { JOBS_PROGRESS, JOBS_TRAIN, type JobErrorData, type JobProgress, type TrainJobParams, type TrainJobResult } from '../../protocol/jobs.js';

function readTokens(path: string): Int32Array {
  const b = readFileSync(path);
  if (b.length % 4 !== 0) throw new ModelLabError('JOB_BAD_TOKENS', `${path} is not a file of int32 token ids.`);
  const out = new Int32Array(b.length / 4);
  new Uint8Array(out.buffer).set(b);
  return out;
}

function abortSignalOf(token: CancellationToken): AbortSignal {
  const ac = new AbortController();
  if (token.isCancellationRequested) ac.abort();
  token.onCancellationRequested(() => ac.abort());
  return ac.signal;
}

/** Errors cross the wire as JSON-RPC errors carrying { name, code }; the client rebuilds them. */
function toResponseError(err: unknown): ResponseError<JobErrorData> {
  const e = err as Error & { code?: string };
  const code = e instanceof ModelLabError ? e.code : 'JOB_FAILED';
  return new ResponseError<JobErrorData>(-32000, e?.message ?? String(err), { name: e?.name ?? 'Error', code });
}

async function runTrain(connection: MessageConnection, p: TrainJobParams, token: CancellationToken): Promise<TrainJobResult> {
  const backend: KernelBackend = p.backend === 'reference' ? createReferenceBackend() : await createWasmBackend({ threads: p.threads ?? 2 });
  try {
    const data = { train: readTokens(p.trainTokensPath), heldOut: p.heldOutTokensPath ? readTokens(p.heldOutTokensPath) : undefined, bosId: p.bosId };
    const signal = abortSignalOf(token);
    const r = await trainModel(p.runDir, p.config, data, {
      backend,
      signal,
      onProgress: (progress) => void connection.sendNotification(JOBS_PROGRESS, { jobId: p.jobId, ...progress } satisfies JobProgress),
    });
    if (p.outputPath) await saveModelGguf(r.model, p.outputPath, { weightType: p.outputWeightType ?? 1, signal });
    r.model.dispose();
    return { steps: r.steps, resumedFrom: r.resumedFrom, stepsRun: r.stepsRun, finalLoss: r.finalLoss, heldOutLoss: r.heldOutLoss, wallSec: r.wallSec, outputPath: p.outputPath };
  } finally {
    backend.dispose();
  }
}

/** Registers the job handlers on a connection. */
export function serveJobs(connection: MessageConnection): void {
  connection.onRequest(JOBS_TRAIN, async (p: TrainJobParams, token: CancellationToken) => {
    try {
      return await runTrain(connection, p, token);
    } catch (err) {
      throw toResponseError(err);
    }
  });
}
