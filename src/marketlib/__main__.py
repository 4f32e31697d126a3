"""``python -m marketlib``: the same command line as ``marketlib``."""

import sys

from marketlib.cli import main

sys.exit(main())
