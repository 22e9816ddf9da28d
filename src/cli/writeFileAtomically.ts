import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Writes `chunks` to `path` all or nothing: into a new temporary file beside it (created with
 * `mode`, so no other user can read it even while it is written), flushed to disk, then renamed
 * over `path`. A failure removes the temporary file and leaves `path` as it was.
 */
export const writeFileAtomically = async (path: string, chunks: AsyncIterable<string>, mode: number): Promise<void> => {
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  // 'wx': never open a file that is already there (another writer's, or a planted link)
  const file = await open(temporary, 'wx', mode);
  try {
    try {
      // writeFile, unlike write, goes on until the whole chunk is written (from the current position)
      for await (const chunk of chunks) await file.writeFile(chunk);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
};
