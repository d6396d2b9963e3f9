"""`python -m app.cli` runs the `backline` command (used where the console script is not on PATH)."""

from app.cli import main

main(prog_name="backline")
