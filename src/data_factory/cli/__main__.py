"""`python -m data_factory.cli`: the `factory` command."""

from data_factory.cli.main import main

main()
