"""``python -m udp_loadtest``."""

from udp_loadtest import main

if __name__ == "__main__":
    raise SystemExit(main())
