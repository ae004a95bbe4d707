"""A short game loop on aioagones: Ready, wait for an allocation, play a round, shut down.

agones-local-sidecar              # shell 1 (or a real sidecar in a Pod)
python examples/game_loop.py      # shell 2: goes Ready, then waits to be allocated
agones-local-sidecar allocate     # shell 3: acts as a GameServerAllocation would
"""

from __future__ import annotations

import asyncio
import logging

from aioagones import SDK, State


async def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    async with SDK() as sdk:  # health pings run in the background every 2 s
        gs = await sdk.get_game_server()
        logging.info("GameServer %s, port %s, Pod IPs %s", gs.object_meta.name, gs.status.port(), gs.status.pod_ips)
        await sdk.ready()
        logging.info("Ready; waiting for an allocation (run: agones-local-sidecar allocate)")
        async for gs in sdk.watch_game_server():  # in a cluster, a GameServerAllocation allocates it
            if gs.status.state is State.ALLOCATED:
                break
        await sdk.set_label("round", "1")
        await sdk.beta.increment_counter("rooms")
        await sdk.alpha.set_player_capacity(8)  # player tracking starts at capacity 0
        await sdk.alpha.player_connect("player-1")
        await asyncio.sleep(1)  # the match
        await sdk.alpha.player_disconnect("player-1")
        await sdk.shutdown()
        logging.info("round over; state %s", (await sdk.get_game_server()).status.state)


if __name__ == "__main__":
    asyncio.run(main())
