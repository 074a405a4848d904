"""The one pipeline between the pure core and the edges.

snapshot → host policies → probe targets → probe → host reports, in one place, for the
CLI (`commands/`), the screen (`tui/`) and the lab (`lab/`) alike. It does no I/O of its
own: the edges hand it their readers and their prober through the protocols in
`ports.py`, so it stays as testable as the core and cannot drift between the edges.
"""
