"""``python -m sample_server.loadtest``."""

from sample_server.loadtest import main

if __name__ == "__main__":
    raise SystemExit(main())
