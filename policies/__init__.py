"""The acs-platform CrossGuard policy pack: regional availability and the security baseline.

The rules live in importable modules; only __main__.py builds the PolicyPack, which starts the
analyzer's gRPC server and blocks. The folder is self-contained, so that `pulumi policy publish`
can upload it alone: its modules import each other relatively and nothing from the rest of the
repository, and requirements.txt installs everything else they import (docs/policies.md).
"""
