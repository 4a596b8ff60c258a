"""Where the trials of a search run: one after another in this process, or in local worker processes.

Both give the same results table for the same search: a trial's outcome depends only on its
hyperparameters, its seed (``trial_seed``) and the scheduler's answers, and the ``RungBook`` answers a
trial only once every trial before it (by number) has passed the rung or ended. A worker is a process of
its own per trial, so a worker that dies (SIGKILL, the out-of-memory killer) loses that trial alone.
(The Ray executor is in ``ray_executor.py``.)
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from multiprocessing.connection import wait

from glassnet.tune.trial import FAILED, TrialResult, run_trial

__all__ = ["run_serial", "run_processes", "free_cores"]


def free_cores() -> int:
    """The cores this process may use less the load average (what other programs keep busy), at least 1."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, cores - round(os.getloadavg()[0])) if hasattr(os, "getloadavg") else cores


def run_serial(job, pending, book, record) -> None:
    """Run the ``pending`` (trial_id, params) one after another; ``record(result)`` keeps each ended
    trial. Ctrl-C ends the fit at a batch boundary; the interrupted trial is not recorded."""
    for trial_id, params in pending:

        def ask(epoch, score, trial_id=trial_id):
            return book.decide(trial_id, epoch, score)

        result, _ = run_trial(job, trial_id, params, ask)
        if result.status == "interrupted":
            raise KeyboardInterrupt
        book.end(trial_id)
        record(result)


def _context():
    # fork: the workers inherit the data and the build function (a lambda or a test's function works);
    # spawn elsewhere, where they must be importable.
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def _one_blas_thread() -> None:
    """Workers share the cores: a BLAS pool of one thread each, instead of every worker's pool spinning
    on every core (threadpoolctl comes with scikit-learn; without it the pools stay as they are)."""
    try:
        from threadpoolctl import threadpool_limits  # noqa: PLC0415 - optional
    except ImportError:
        return
    threadpool_limits(1)


def _start_shielded(process) -> None:
    """Start a worker with SIGINT held back until the fork is over. A Ctrl-C that lands during the fork
    runs its handler inside one of Python's at-fork callbacks, which prints the KeyboardInterrupt as
    "Exception ignored" and drops it: the search would go on to the end (seen in the SIGINT test)."""
    if not hasattr(signal, "pthread_sigmask"):
        process.start()
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        process.start()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)  # a held Ctrl-C is raised here


def _worker(job, trial_id: int, params: dict, conn) -> None:
    if hasattr(os, "setpgrp"):
        os.setpgrp()  # the terminal's Ctrl-C goes to the search, which stops its workers itself
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # held back only for the fork
    _one_blas_thread()

    def ask(epoch, score):
        conn.send(("ask", epoch, score))
        return conn.recv()

    result, _ = run_trial(job, trial_id, params, ask)
    conn.send(("done", result.to_dict()))
    conn.close()


def run_processes(job, pending, book, record, n_workers: int) -> None:
    """Run the ``pending`` trials in up to ``n_workers`` worker processes, started in trial order. Each
    worker asks this process at a rung and waits for the answer; ``record`` sees each ended trial."""
    context = _context()
    queue = list(pending)
    running = {}  # connection -> (process, trial_id, params)
    asking = {}  # connection -> (trial_id, epoch, score)
    try:
        while queue or running:
            while queue and len(running) < n_workers:
                trial_id, params = queue.pop(0)
                parent_end, child_end = context.Pipe()
                arguments = (job, trial_id, params, child_end)
                process = context.Process(target=_worker, args=arguments, daemon=True)
                _start_shielded(process)
                child_end.close()
                running[parent_end] = (process, trial_id, params)
            for conn in wait(list(running)):
                _receive(conn, running, asking, book, record)
            _answer(asking, book)
    finally:
        for conn, (process, _, _) in running.items():
            process.kill()
            process.join()
            conn.close()


def _receive(conn, running, asking, book, record) -> None:
    process, trial_id, params = running[conn]
    try:
        message = conn.recv()
    except (EOFError, OSError):  # the worker died without a word
        asking.pop(conn, None)
        process.join()
        code = process.exitcode
        why = f"killed by {signal.Signals(-code).name}" if code is not None and code < 0 else f"exit {code}"
        message = ("done", TrialResult(trial_id, params, FAILED, error=f"worker process {why}").to_dict())
    if message[0] == "ask":
        asking[conn] = (trial_id, message[1], message[2])
        return
    process.join()
    conn.close()
    del running[conn]
    book.end(trial_id)
    record(TrialResult(**message[1]))


def _answer(asking, book) -> None:
    """Answer every worker whose rung is decided; an answer can decide another's, so repeat."""
    progress = True
    while progress:
        progress = False
        for conn, (trial_id, epoch, score) in sorted(asking.items(), key=lambda item: item[1][0]):
            if book.ready(trial_id, epoch):
                try:
                    conn.send(book.decide(trial_id, epoch, score))
                except OSError:  # it died meanwhile: its end of the pipe tells ``_receive``
                    pass
                del asking[conn]
                progress = True
