"""`python -m rotkeras.cli`: the `rotkeras` command."""

import sys

from rotkeras.cli import main

sys.exit(main())
