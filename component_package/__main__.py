"""The plugin's entry point: Pulumi's Python language host runs `python <this folder> <engine address>`.

Python then puts this folder, not the repository root, first on `sys.path`, and the working
directory is the consuming program's. The root takes this folder's place on `sys.path`, so that
`components`, `stackconfig` and the rest import, and nothing in this folder shadows a top-level
module. Importing this file starts nothing.
"""

import sys
from pathlib import Path

if __name__ == "__main__":
    package_folder = Path(__file__).resolve().parent
    repository_root = str(package_folder.parent)
    sys.path[:] = [p for p in sys.path if not p or Path(p).resolve() != package_folder]
    if repository_root not in sys.path:
        sys.path.insert(0, repository_root)

    from component_package import serve

    serve()
