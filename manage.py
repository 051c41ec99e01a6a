#!/usr/bin/env python
import os
import sys
from pathlib import Path

if __name__ == "__main__":
    try:
        import django  # noqa: F401
    except ModuleNotFoundError:
        # Run with a bare interpreter (e.g. `python3 manage.py ...`): use the project's venv if there is one.
        venv = Path(__file__).resolve().parent / ".venv"
        venv_python = venv / "bin" / "python"
        if venv_python.exists() and Path(sys.prefix).resolve() != venv.resolve():
            os.execv(str(venv_python), [str(venv_python), *sys.argv])
        raise
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "netcron.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
