"""`python -m inspect_app` runs the CLI."""

import sys

from inspect_app.cli import main

sys.exit(main())
