"""``python -m deeprg`` runs the command line."""

from deeprg.cli import main

main()
