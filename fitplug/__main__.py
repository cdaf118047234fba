from fitplug.cli import cli

cli()
