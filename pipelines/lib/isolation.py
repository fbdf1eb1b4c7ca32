"""Runs one stage over a frame of many articles and keeps going when one of them makes the stage raise.

The whole frame is tried first (the vectorised happy path, no extra cost); only after an exception is the frame
bisected by its key until each culprit is alone, so the rest of the batch is kept and each culprit gets a reason."""

from __future__ import annotations

from typing import Callable

import polars as pl

REASON_MAX_CHARS = 300


def failure_reason(stage: str, error: BaseException) -> str:
    """`<stage> failed: <exception class>: <message>` on one line, short enough for `kronika status`."""
    # A message may quote the input, lone surrogates included; a reason must be storable UTF-8.
    message = " ".join(str(error).encode("utf-8", "backslashreplace").decode("utf-8").split())
    if len(message) > REASON_MAX_CHARS:
        message = message[:REASON_MAX_CHARS] + "…"
    return f"{stage} failed: {type(error).__name__}: {message}" if message else f"{stage} failed: {type(error).__name__}"


def failures_frame(key: str, keys: list, reasons: list[str]) -> pl.DataFrame:
    return pl.DataFrame({key: keys, "reason": reasons}, schema={key: pl.String, "reason": pl.String})


def restrict(frame: pl.DataFrame, part: pl.DataFrame, whole: pl.DataFrame, key: str) -> pl.DataFrame:
    """`frame`'s rows for the keys of `part`; `frame` itself when `part` is the whole input (the happy path)."""
    if part is whole:
        return frame
    return frame.join(part.select(key).unique(), on=key, how="semi")


def run_isolated(stage: str, frame: pl.DataFrame, key: str,
                 run: Callable[[pl.DataFrame], pl.DataFrame]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(run's output for every key that does not fail, failures: key, reason).

    `run` must be a function of the rows it is given (each key's output depends only on that key's rows), which
    holds for every per-article stage. Cost after a failure: about (2 + 2·log2 culprits) passes over the frame."""
    try:
        return run(frame), failures_frame(key, [], [])
    except Exception as error:  # noqa: BLE001 - any exception of one article must not stop the batch
        first_error = error
    keys = frame[key].unique(maintain_order=True).to_list()
    if len(keys) <= 1:
        return (_empty_output(run, frame, first_error),
                failures_frame(key, keys, [failure_reason(stage, first_error)] * len(keys)))
    outputs: list[pl.DataFrame] = []
    failed_keys: list = []
    reasons: list[str] = []
    pending = [keys[len(keys) // 2:], keys[:len(keys) // 2]]
    while pending:
        part_keys = pending.pop()
        part = frame.filter(pl.col(key).is_in(pl.Series(part_keys, dtype=frame.schema[key]).implode()))
        try:
            outputs.append(run(part))
        except Exception as error:  # noqa: BLE001
            if len(part_keys) == 1:
                failed_keys.append(part_keys[0])
                reasons.append(failure_reason(stage, error))
            else:
                middle = len(part_keys) // 2
                pending += [part_keys[middle:], part_keys[:middle]]
    output = pl.concat(outputs, how="diagonal_relaxed") if outputs else _empty_output(run, frame, first_error)
    return output, failures_frame(key, failed_keys, reasons)


def _empty_output(run: Callable[[pl.DataFrame], pl.DataFrame], frame: pl.DataFrame,
                  error: BaseException) -> pl.DataFrame:
    """The stage's output schema with no rows; a stage that fails even on no rows is a bug, raised as such."""
    try:
        return run(frame.clear())
    except Exception:  # noqa: BLE001
        raise error from None
