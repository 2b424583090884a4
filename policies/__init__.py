"""The acs-platform CrossGuard policy pack: regional availability and the security baseline.

The rules live in importable modules; only __main__.py builds the PolicyPack, which starts the
analyzer's gRPC server and blocks.
"""
