// A small child for the process-stack tests: serves a typed method map with runChildMain + serveMethods, prints
// to stdout and stderr on request, waits for cancellation, and throws errors of registered and unknown classes.
import { AbortedError, ModelLabError } from '../../../../src/engine/errors.js';
import { runChildMain } from '../../../../src/process/runChildMain.js';
import { serveMethods } from '../../../../src/process/serveMethods.js';
import { EchoError, type EchoRequests } from './echoProtocol.js';

runChildMain('echo', (connection) => {
  serveMethods<EchoRequests>(connection, {
    'echo/say': ({ text }) => {
      process.stdout.write(`out: ${text}\n`);
      process.stderr.write(`err: ${text}\n`);
      return { text, electronRunAsNode: process.env.ELECTRON_RUN_AS_NODE ?? null, pid: process.pid };
    },
    'echo/wait': (_p, signal) =>
      new Promise((_resolve, reject) => {
        signal.addEventListener('abort', () => reject(new AbortedError('Stopped waiting.')));
      }),
    'echo/fail': ({ registered }) => {
      if (registered) throw new EchoError('ECHO_BROKEN', 'The echo broke.');
      throw new ModelLabError('ECHO_OTHER', 'Some other failure.');
    },
  });
});
