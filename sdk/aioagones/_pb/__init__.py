"""Generated protobuf and gRPC code for the Agones SDK protos (see tools/genproto.py)."""
