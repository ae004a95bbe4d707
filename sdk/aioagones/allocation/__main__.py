"""`python -m aioagones.allocation`: the same as `agones-allocate`."""

from ._cli import main

raise SystemExit(main())
