"""``python -m constellations``: the same as the ``constellations`` command."""

import sys

from .app.cli import main

if __name__ == "__main__":
    sys.exit(main())
