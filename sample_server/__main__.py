"""`python -m sample_server`: the same as `sample-game-server`."""

import sys

from ._cli import main

sys.exit(main())
