/**
 * An export file's text, streamed: bytes are read in chunks, decoded and handed on, so a large file
 * is never held whole (as bytes or as one string). UTF-8 (with or without a byte-order mark) is
 * read as is; a file that is not valid UTF-8 is read again in the single-byte encoding chardet
 * recognises (Excel's plain "CSV" is Windows-1252); UTF-16 is refused with a message saying so.
 * More than `maxBytes` is refused before anything is parsed, and again if the file grows while read.
 */
import { createReadStream } from 'node:fs';
import chardet from 'chardet';
import iconv from 'iconv-lite';

export class FileTextError extends Error {
  override readonly name = 'FileTextError';
}

const HOW_TO_EXPORT = 'export it as "CSV UTF-8" (Excel) or UTF-8 text';

/** UTF-16 shows as a byte-order mark, or as a zero byte beside most ASCII characters. */
function utf16Of(sample: Uint8Array): 'UTF-16LE' | 'UTF-16BE' | null {
  if (sample[0] === 0xff && sample[1] === 0xfe) return 'UTF-16LE';
  if (sample[0] === 0xfe && sample[1] === 0xff) return 'UTF-16BE';
  let even = 0;
  let odd = 0;
  const n = Math.min(sample.length, 4096);
  for (let i = 0; i < n; i++) if (sample[i] === 0) i % 2 === 0 ? even++ : odd++;
  if (odd > n / 4) return 'UTF-16LE';
  if (even > n / 4) return 'UTF-16BE';
  return null;
}

/** The single-byte encoding a non-UTF-8 sample is in, as iconv-lite names it; null if unknown. */
export function singleByteEncoding(sample: Uint8Array): string | null {
  for (const match of chardet.analyse(sample)) {
    const name = match.name.toLowerCase();
    // ISO-8859-1 is read as its superset windows-1252, as browsers do (curly quotes, €, …).
    if (name === 'iso-8859-1') return 'windows-1252';
    if (/^(iso-8859-\d+|windows-125\d|koi8-r)$/.test(name) && iconv.encodingExists(name)) return name;
  }
  return null;
}

class NotUtf8 extends Error {
  constructor(readonly sample: Uint8Array) {
    super('not UTF-8');
  }
}

interface Decoder {
  write(bytes: Uint8Array): string;
  end(): string;
}

function utf8Decoder(): Decoder {
  // fatal: an invalid byte throws instead of becoming U+FFFD, so a Windows-1252 file is noticed.
  const d = new TextDecoder('utf-8', { fatal: true });
  return {
    write: (bytes) => d.decode(bytes, { stream: true }),
    end: () => d.decode(),
  };
}

function iconvDecoder(encoding: string): Decoder {
  const d = iconv.getDecoder(encoding);
  return { write: (bytes) => d.write(Buffer.from(bytes)), end: () => d.end() ?? '' };
}

async function pass(
  path: string,
  maxBytes: number,
  decoder: Decoder,
  utf8: boolean,
  onText: (text: string) => void,
): Promise<void> {
  let total = 0;
  let first = true;
  for await (const chunk of createReadStream(path, { highWaterMark: 256 * 1024 })) {
    const bytes = chunk as Buffer;
    total += bytes.length;
    if (total > maxBytes) throw new FileTextError(tooLarge(total, maxBytes, 'grew past'));
    if (first) {
      first = false;
      const wide = utf16Of(bytes);
      if (wide !== null)
        throw new FileTextError(`the file is ${wide} text (Excel's "Unicode Text"); ${HOW_TO_EXPORT}`);
    }
    let text: string;
    try {
      text = decoder.write(bytes);
    } catch {
      if (utf8) throw new NotUtf8(bytes);
      throw new FileTextError('the file cannot be decoded');
    }
    if (text !== '') onText(text);
  }
  try {
    const rest = decoder.end();
    if (rest !== '') onText(rest);
  } catch {
    if (utf8) throw new NotUtf8(new Uint8Array());
    throw new FileTextError('the file cannot be decoded');
  }
}

function tooLarge(size: number, maxBytes: number, verb: string): string {
  return `the file ${verb} ${size} bytes, over IDENTITY_FILE_MAX_BYTES (${maxBytes}): raise it, or export fewer columns or people`;
}

/** Checks the size, then streams the decoded text to `start()`'s consumer (restarted on a re-read). */
export async function streamFileText(
  path: string,
  size: number,
  maxBytes: number,
  start: (encoding: string) => (text: string) => void,
): Promise<string> {
  if (size > maxBytes) throw new FileTextError(tooLarge(size, maxBytes, 'is'));
  try {
    await pass(path, maxBytes, utf8Decoder(), true, start('utf-8'));
    return 'utf-8';
  } catch (error) {
    if (!(error instanceof NotUtf8)) throw error;
    const encoding = singleByteEncoding(error.sample);
    if (encoding === null)
      throw new FileTextError(`the file is not UTF-8 and its encoding is not recognised; ${HOW_TO_EXPORT}`);
    await pass(path, maxBytes, iconvDecoder(encoding), false, start(encoding));
    return encoding;
  }
}
