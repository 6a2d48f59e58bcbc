// The ledger's compaction worker thread (compaction.ts foldInWorker): folds the files named by
// workerData into a new snapshot and posts its bytes back, transferred.
import { parentPort, workerData } from 'node:worker_threads';
import { foldFiles, type FoldJob } from './compaction';

foldFiles(workerData as FoldJob).then(
  (bytes) => {
    const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
    parentPort?.postMessage({ ok: true, bytes: own.buffer }, [own.buffer as ArrayBuffer]);
  },
  (err: unknown) => parentPort?.postMessage({ ok: false, error: err instanceof Error ? err.message : String(err) }),
);
