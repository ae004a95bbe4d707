"""`python -m aioagones.local`: the same as `agones-local-sidecar`."""

from aioagones.local._cli import main

if __name__ == "__main__":
    raise SystemExit(main())
