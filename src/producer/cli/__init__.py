"""The command-line shell over ``producer.workflows``."""

from producer.cli.app import cli, main

__all__ = ["cli", "main"]
