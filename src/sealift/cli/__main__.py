"""`python -m sealift.cli` is the `sealift` command."""

from sealift.cli.entry import main

main()
