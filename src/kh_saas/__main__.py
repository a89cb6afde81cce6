"""``python -m kh_saas`` runs the same CLI as ``kh-saas``."""

from kh_saas.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
