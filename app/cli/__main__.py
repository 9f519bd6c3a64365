"""`python -m app.cli`: the same as the `leder` command."""

from app.cli import main

main()
