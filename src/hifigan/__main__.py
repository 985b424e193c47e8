"""``python -m hifigan ...`` (also what ``torchrun -m hifigan train ...`` runs)."""
import sys

from hifigan.cli import main

sys.exit(main())
