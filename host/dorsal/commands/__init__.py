"""One module per CLI command (see dorsal.cli.COMMANDS)."""
