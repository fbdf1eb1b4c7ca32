"""Worker processes for the independent part of batches (`prepare.prepare_batch`), so both cores work.

Workers are spawned (Polars' threads do not survive a fork) and hand each batch back as Arrow IPC files in a
folder; only the writer's process opens the warehouse. A worker that dies fails the run with `WorkerDiedError`."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import threading
import time
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from pipelines.lib.metadata.batch import split_evenly
from pipelines.lib.prepare import PreparedBatch, prepare_batch, read_prepared, write_prepared

# Below this many files one batch is prepared in the writer's process, not split over workers: a spawned worker
# takes 2-4 s (wall, at load 11) to start (imports, 0.7 s CPU) and about 1 s more to build the gazetteer automaton
# and the figure patterns, while one process prepares ~1,600 files/s, so halving a smaller batch gains less.
PARALLEL_MIN_FILES = 10_000
# Set in every worker, so that a worker never starts workers of its own.
_IN_WORKER_VARIABLE = "KRONIKA_IN_WORKER"


class WorkerDiedError(RuntimeError):
    """A worker process ended without handing its batch back (killed, out of memory)."""


def can_start_workers() -> bool:
    """Not from a daemonic process (it may have no children), nor from a worker."""
    return not multiprocessing.current_process().daemon and not os.environ.get(_IN_WORKER_VARIABLE)


@dataclass(frozen=True)
class BatchFiles:
    """What a worker needs to prepare one batch: plain values, cheap to send to a spawned process."""

    raw_dir: Path
    source_paths: list[str]
    max_file_bytes: int
    timezone: str

    def prepare(self) -> PreparedBatch:
        return prepare_batch(self.raw_dir, self.source_paths, max_file_bytes=self.max_file_bytes,
                             timezone_name=self.timezone)


def _start_worker(parent_pid: int) -> None:
    os.environ[_IN_WORKER_VARIABLE] = "1"
    # A worker outlives a writer killed hard (SIGKILL, the OOM killer) waiting on its queue forever: it leaves when
    # its parent is gone.
    threading.Thread(target=_exit_with_parent, args=(parent_pid,), daemon=True).start()


def _exit_with_parent(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(0.5)
    os._exit(1)


def _prepare_into(batch: BatchFiles, folder: str) -> str:
    write_prepared(batch.prepare(), Path(folder))
    return folder


class BatchWorkers:
    """A pool of spawned processes that prepare batches into folders under `work_dir`, in submission order."""

    def __init__(self, workers: int, work_dir: Path):
        self.work_dir = work_dir
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self._pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                                         initializer=_start_worker, initargs=(os.getpid(),))
        self._submitted = 0

    def submit(self, batch: BatchFiles) -> Future:
        folder = self.work_dir / f"batch-{self._submitted:06d}"
        self._submitted += 1
        return self._pool.submit(_prepare_into, batch, str(folder))

    @staticmethod
    def result(future: Future, what: str) -> Path:
        try:
            return Path(future.result())
        except BrokenProcessPool:
            raise WorkerDiedError(
                f"a worker process died while preparing {what} (killed, or out of memory): nothing of it was "
                f"written, the batches before it are committed, and the next `kronika run` resumes after them "
                f"(KRONIKA_WORKERS=1 or `kronika run --workers 1` prepares batches in one process)") from None

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        shutil.rmtree(self.work_dir, ignore_errors=True)


def prefetched(batches: list[BatchFiles], workers: int, work_dir: Path) -> Iterator[Path]:
    """Each batch's prepared folder, in batch order, with up to `workers` batches prepared ahead of the caller.

    The caller owns a folder until it asks for the next one (the folder is then removed), so memory holds the
    frames of at most workers + 1 batches, whatever the corpus size."""
    pool = BatchWorkers(workers, work_dir)
    try:
        pending: deque[Future] = deque(pool.submit(batch) for batch in batches[:workers])
        for number in range(len(batches)):
            folder = pool.result(pending.popleft(), f"batch {number + 1} of {len(batches)}")
            if number + workers < len(batches):  # keep the pool busy while the caller writes this one
                pending.append(pool.submit(batches[number + workers]))
            try:
                yield folder
            finally:
                shutil.rmtree(folder, ignore_errors=True)
    finally:
        pool.close()


def prepare_split(batch: BatchFiles, workers: int, work_dir: Path) -> list[PreparedBatch]:
    """One batch prepared in `workers` processes over even parts of its files: the first part in this process
    (which would otherwise wait), the others in spawned workers. All in this process when the batch is small,
    workers is 1, or this process may not start workers. Parts keep the files' order."""
    if workers < 2 or len(batch.source_paths) < PARALLEL_MIN_FILES or not can_start_workers():
        return [batch.prepare()]
    parts = [BatchFiles(batch.raw_dir, paths, batch.max_file_bytes, batch.timezone)
             for paths in split_evenly(batch.source_paths, workers)]
    pool = BatchWorkers(len(parts) - 1, work_dir / "split")
    try:
        futures = [pool.submit(part) for part in parts[1:]]
        first = parts[0].prepare()
        return [first] + [read_prepared(pool.result(future, f"part {number + 2} of {len(parts)} of a batch"))
                          for number, future in enumerate(futures)]
    finally:
        pool.close()
