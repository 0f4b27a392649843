// Text a user gives us (prompts, TRL pairs, calibration text), decoded as UTF-8. Editors on Windows save UTF-8 with a
// byte-order mark, which JSON.parse refuses and which would otherwise start the first prompt; a file in another
// encoding (Latin-1, UTF-16) is refused by name rather than read as replacement characters.
import { ModelLabError } from '../errors.js';

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The text of `bytes` without a leading BOM; `name` is how errors call the file. */
export function decodeUtf8Text(bytes: Uint8Array, name: string): string {
  const start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  try {
    return decoder.decode(bytes.subarray(start));
  } catch {
    const utf16 = (bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff);
    throw new ModelLabError('NOT_UTF8', `${name} is not UTF-8 text${utf16 ? ' (it is UTF-16)' : ` (line ${firstBadLine(bytes, start)} is not)`}: save it as UTF-8`);
  }
}

/** The 1-based number of the first line that is not UTF-8, for the message. */
function firstBadLine(bytes: Uint8Array, start: number): number {
  let line = 1;
  let from = start;
  for (let i = start; i <= bytes.length; i++) {
    if (i < bytes.length && bytes[i] !== 0x0a) continue;
    try {
      decoder.decode(bytes.subarray(from, i));
    } catch {
      return line;
    }
    line++;
    from = i + 1;
  }
  return line;
}
