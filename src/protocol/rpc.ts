// What every Model Lab child process (runtime, jobs) shares on the wire, whatever its methods: the shape of a
// method map, and how an error travels. Types and one constant only.

/**
 * A process's requests: method → params and result. Each process has one (RuntimeRequests, JobRequests); generic
 * code takes `R extends RequestMap<R>` so plain interfaces qualify.
 */
export type RequestMap<R> = { [M in keyof R]: { params: unknown; result: unknown } };

/** `data` of a JSON-RPC error Model Lab raised on purpose: the error's class name and its stable code. */
export interface RpcErrorData {
  name: string;
  code: string;
}

/** JSON-RPC error code of every error a Model Lab child sends (data: RpcErrorData); one code space for all. */
export const MODEL_LAB_ERROR_CODE = -32001;
