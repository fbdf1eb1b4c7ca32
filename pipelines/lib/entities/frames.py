"""Frame plumbing shared by the entity stages: one UTF-8 buffer over a batch of texts, byte/char offsets,
zero-copy slices, and per-key running sums over consecutive rows (cheaper than `.over()` on many tiny keys)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc


@dataclass(frozen=True)
class TextBuffer:
    """Every text of a batch in one UTF-8 buffer, each followed by a newline (no pattern contains one): one
    automaton call scans the batch, and every position below is a byte offset into this buffer."""

    data: memoryview  # unsigned bytes, as the automaton reads them
    arrow_data: pa.Buffer  # the same bytes, for zero-copy Arrow string views into the buffer
    text_starts: pl.Series  # byte offset of each text, in the row order of the texts frame

    @staticmethod
    def of(texts: pl.DataFrame) -> TextBuffer:
        # The values buffer of an Arrow string column is its strings back to back, so `text + newline` converted
        # once is the whole buffer, and its offsets are where each text starts: no second copy.
        array = texts.select(pl.col("text") + "\n").to_series().rechunk().to_arrow().cast(pa.large_string())
        offsets = pl.from_arrow(pa.Array.from_buffers(pa.int64(), len(array) + 1, [None, array.buffers()[1]],
                                                      offset=array.offset))
        values = array.buffers()[2]
        first, last = (offsets[0], offsets[-1]) if len(array) else (0, 0)
        arrow_data = values.slice(first, last - first) if values is not None else pa.py_buffer(b"")
        return TextBuffer(data=memoryview(arrow_data).cast("B"), arrow_data=arrow_data,
                          text_starts=offsets.head(len(array)) - first)

    def byte_values(self) -> pl.Series:
        # A zero-copy UInt8 view, so neighbouring bytes are one gather.
        return pl.from_arrow(pa.Array.from_buffers(pa.uint8(), len(self.data), [None, self.arrow_data]))

    def char_offsets(self, positions: pl.Series) -> pl.Series:
        """The character offset of each byte position (all on character boundaries). The buffer is cut at every
        position in rising order and Arrow counts the characters of each piece: one pass over the buffer in all;
        the running counts are then put back in the order of `positions`."""
        positions = positions.cast(pl.Int64)
        order = positions.arg_sort()
        cuts = pl.concat([pl.Series([0], dtype=pl.Int64), positions.gather(order)]).rechunk().to_arrow()
        pieces = pa.Array.from_buffers(pa.large_string(), len(cuts) - 1,
                                       [None, cuts.buffers()[1][cuts.offset * 8:], self.arrow_data])
        chars_in_order = pl.from_arrow(pc.utf8_length(pieces)).cast(pl.Int64).cum_sum()
        return pl.zeros(len(positions), dtype=pl.Int64, eager=True).scatter(order, chars_in_order)


def text_slices(buffer: TextBuffer, starts: pl.Series, ends: pl.Series) -> pl.Series:
    """The text between each (start, end) byte pair, read straight out of the buffer (pairs must not overlap
    and must be sorted, since Arrow offsets are one rising sequence; the gaps become skipped pieces)."""
    if starts.is_empty():
        return pl.Series(dtype=pl.String)
    interleaved = np.empty(2 * len(starts), dtype=np.int64)
    interleaved[0::2] = starts.cast(pl.Int64).to_numpy()
    interleaved[1::2] = ends.cast(pl.Int64).to_numpy()
    pieces = pa.Array.from_buffers(pa.large_string(), len(interleaved) - 1,
                                   [None, pa.py_buffer(interleaved), buffer.arrow_data])
    return pl.from_arrow(pieces).gather_every(2)


def is_first_of(key: str) -> pl.Expr:
    return (pl.col(key) != pl.col(key).shift(1)).fill_null(True)


def is_last_of(key: str) -> pl.Expr:
    return (pl.col(key) != pl.col(key).shift(-1)).fill_null(True)


# Rows of one run, group or text are consecutive, so per-key running sums and edge blocks below are global
# cumulative sums corrected at each key's first or last row: much cheaper than `.over()` on many tiny keys.
def total_before_within(values: pl.Expr, key: str) -> pl.Expr:
    """Sum of `values` over the earlier rows of the same `key`."""
    before = values.cum_sum() - values
    return before - pl.when(is_first_of(key)).then(before).forward_fill()


def leading_block_within(flag: pl.Expr, key: str) -> pl.Expr:
    """True on the rows where `flag` holds from the first row of their `key` up to and including them."""
    misses = (~flag).cast(pl.Int64)
    seen = misses.cum_sum()
    return seen == pl.when(is_first_of(key)).then(seen - misses).forward_fill()


def trailing_block_within(flag: pl.Expr, key: str) -> pl.Expr:
    """True on the rows where `flag` holds from them to the last row of their `key`."""
    misses = (~flag).cast(pl.Int64)
    seen = misses.cum_sum(reverse=True)
    return seen == pl.when(is_last_of(key)).then(seen - misses).backward_fill()


def last_match_before(positions: pl.Series, matches: pl.DataFrame, inclusive: bool) -> pl.DataFrame:
    """For each position (ascending), the columns of the last match starting before it (or at it, if inclusive);
    nulls where there is none. Matches are sorted by start, so this is one merge (an as-of join), far cheaper
    than a binary search per position."""
    return pl.DataFrame({"position": positions.cast(pl.Int64)}).join_asof(
        matches, left_on="position", right_on="start", strategy="backward", allow_exact_matches=inclusive,
        check_sortedness=False,  # both sides are in buffer order by construction
    )


def covered_by_a_match(starts: pl.Series, ends: pl.Series, matches: pl.DataFrame) -> pl.Series:
    """Whether one gazetteer match spans each (start, end): such a run ('Donald Trump') yields no candidate."""
    previous = last_match_before(starts, matches.select("start", "end"), inclusive=True)
    return (previous["end"] >= ends).fill_null(False)


def to_text_offsets(mentions: pl.DataFrame, buffer: TextBuffer) -> pl.DataFrame:
    """Buffer byte offsets -> character offsets within each text."""
    chars = buffer.char_offsets(pl.concat([mentions["start"], mentions["end"], buffer.text_starts]))
    count = mentions.height
    text_chars = chars.slice(2 * count).gather(mentions["row"])
    return mentions.with_columns(
        (chars.slice(0, count) - text_chars).alias("char_start"),
        (chars.slice(count, count) - text_chars).alias("char_end"),
    )
