"""Print the package schema, offline: `python -m component_package.schema [--out FILE]`.

The same schema `pulumi package get-schema ./component_package` gets from the running plugin, made
by the same analyzer, without the Pulumi CLI and without starting the plugin.
"""

import argparse
import json
import sys
from pathlib import Path

from component_package import inferred_schema


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m component_package.schema", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="write the schema to FILE instead of printing it")
    args = parser.parse_args(argv)
    text = json.dumps(inferred_schema(), indent=2, sort_keys=True) + "\n"
    if args.out:
        args.out.write_text(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
