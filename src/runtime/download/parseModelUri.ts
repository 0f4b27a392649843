import { DownloadError } from '../errors.js';

export const DEFAULT_HF_ENDPOINT = 'https://huggingface.co/';

export type ParsedModelUri =
  /** a file in a Hugging Face repo: resolvable without network */
  | { kind: 'hf-file'; user: string; repo: string; filePath: string; branch: string; url: string; fileName: string }
  /** `hf:user/repo[:quant]`: the file is chosen by the hub's manifest (needs network) */
  | { kind: 'hf-repo'; user: string; repo: string; quant?: string }
  | { kind: 'url'; url: string; fileName: string };

const namePart = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function bad(uri: string, why: string): DownloadError {
  return new DownloadError('BAD_MODEL_URI', `'${uri}' is not a model address: ${why} (use hf:user/repo/file.gguf or an https URL)`);
}

/**
 * Parses what a user types into "Download Model…": `hf:user/repo/path/file.gguf[#branch]`, `hf:user/repo[:quant]`,
 * or an http(s) URL. Pure: no network. Throws DownloadError('BAD_MODEL_URI') with the reason.
 */
export function parseModelUri(uri: string, hfEndpoint: string = DEFAULT_HF_ENDPOINT): ParsedModelUri {
  const text = uri.trim();
  const hf = /^(?:hf:(?:\/\/)?|huggingface:(?:\/\/)?)(.*)$/i.exec(text);
  if (hf) {
    let rest = hf[1]!;
    let branch = 'main';
    const hash = rest.indexOf('#');
    if (hash >= 0) {
      branch = rest.slice(hash + 1) || 'main';
      rest = rest.slice(0, hash);
    }
    const [user, repoTag, ...fileParts] = rest.split('/');
    if (!user || !repoTag) throw bad(uri, 'it needs a user and a repository');
    if (fileParts.length === 0) {
      const [repo, quant] = repoTag.split(':');
      if (!namePart.test(user) || !repo || !namePart.test(repo)) throw bad(uri, 'bad user or repository name');
      return { kind: 'hf-repo', user, repo, quant: quant || undefined };
    }
    if (!namePart.test(user) || !namePart.test(repoTag)) throw bad(uri, 'bad user or repository name');
    if (fileParts.some((p) => p === '' || p === '.' || p === '..')) throw bad(uri, 'bad file path');
    const filePath = fileParts.join('/');
    const fileName = fileParts[fileParts.length - 1]!;
    if (!/\.gguf$/i.test(fileName)) throw bad(uri, 'the file must be a .gguf');
    const base = hfEndpoint.endsWith('/') ? hfEndpoint : `${hfEndpoint}/`;
    const url =
      `${base}${encodeURIComponent(user)}/${encodeURIComponent(repoTag)}/resolve/${encodeURIComponent(branch)}/` +
      `${fileParts.map(encodeURIComponent).join('/')}?download=true`;
    return { kind: 'hf-file', user, repo: repoTag, filePath, branch, url, fileName };
  }
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    throw bad(uri, 'not an hf: address or a URL');
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw bad(uri, `unsupported scheme ${parsed.protocol}`);
  const fileName = decodeURIComponent(parsed.pathname.split('/').pop() ?? '');
  if (!fileName || fileName.includes('/') || fileName === '..') throw bad(uri, 'the URL names no file');
  return { kind: 'url', url: parsed.href, fileName };
}
