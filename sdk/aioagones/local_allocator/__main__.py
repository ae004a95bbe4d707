"""`python -m aioagones.local_allocator`: the same as `agones-local-allocator`."""

from aioagones.local_allocator._cli import main

if __name__ == "__main__":
    raise SystemExit(main())
