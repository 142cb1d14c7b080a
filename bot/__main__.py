"""`python -m bot` is the `newsbot` command (useful where the venv's scripts are not on PATH)."""

from bot.cli import main

main()
