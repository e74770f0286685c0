"""How kerasmodels prints to a terminal: one table style and one progress style for every command.

- `table(rows, header)`: columns two spaces apart, the header underlined with dashes, the columns
  named in `right` (numbers, durations) aligned right, no trailing spaces; `kerasmodels lessons`,
  `run`, `tour` and `data list` print their tables this way.
- `key_values(pairs)`: the same table for name/value pairs, without a header: each name followed by a
  colon and padded to the longest (`kerasmodels info`, `train`).
- `step_line(...)`: one line per step as it starts, `  [    12 s] cell  3/20  import keras`: the
  progress of `kerasmodels run` (its cells) and `tour` (its lessons and their cells), readable in a
  terminal and in a CI log alike, where a redrawn bar would not be.

Plain text, no colour: the output is as readable piped into a file as on screen.
"""

__all__ = ["key_values", "step_line", "table"]


def table(rows, header=None, right=()):
    """`rows` (sequences of strings) as aligned columns under `header`, underlined with dashes.

    Args:
        rows: the table's rows; every cell a string.
        header: the column names, or None for no header and no rule.
        right: indices of the columns to align right.
    """
    rows = [tuple(str(cell) for cell in row) for row in rows]
    everything = ([tuple(header)] if header else []) + rows
    if not everything:
        return ""
    widths = [max(len(row[i]) for row in everything) for i in range(len(everything[0]))]

    def line(row):
        cells = [cell.rjust(w) if i in right else cell.ljust(w) for i, (cell, w) in enumerate(zip(row, widths))]
        return "  ".join(cells).rstrip()

    lines = [line(row) for row in everything]
    if header:
        lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def key_values(pairs):
    """Name/value pairs as `name:  value` lines, the values in one column."""
    return table([(f"{name}:", value) for name, value in pairs])


def step_line(seconds, number, total, text="", what="cell"):
    """One progress line: the seconds elapsed, `what number/total`, and a short text (cut at 60 characters)."""
    text = text if len(text) <= 60 else text[:57] + "..."
    line = f"  [{seconds:6.0f} s] {what} {number:>{len(str(total))}}/{total}"
    return line + (f"  {text}" if text else "")
