"""Generated protobuf and gRPC code for the Agones protos (see tools/genproto.py)."""
