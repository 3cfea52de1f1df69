"""`python -m dorsal ...`: the same as the `dorsal` command."""

import sys

from dorsal.cli import main

sys.exit(main())
