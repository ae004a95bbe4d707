"""aioagones: an asyncio SDK for the Agones game-server sidecar."""
