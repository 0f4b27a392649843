// The echo child's method map and its one error class (registered for revival on both sides).
import { ModelLabError } from '../../../../src/engine/errors.js';
import { registerRevivableErrors } from '../../../../src/process/errors.js';

export interface EchoRequests {
  'echo/say': { params: { text: string }; result: { text: string; electronRunAsNode: string | null; pid: number } };
  'echo/wait': { params: Record<string, never>; result: never };
  'echo/fail': { params: { registered: boolean }; result: never };
}

export class EchoError extends ModelLabError {
  override name = 'EchoError';
}
registerRevivableErrors({ EchoError });
