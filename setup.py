"""Packaging hook: a wheel carries the lessons and their notebooks, without a second copy in git.

`build_py` copies lessons/NN_*.py and notebooks/*.ipynb into the built package as
kerasmodels/course/_lessons/{lessons,notebooks}/, where `kerasmodels.course.runner` finds
them when no checkout is around (`kerasmodels lessons`, `run` and `tour` from a pip install).
An editable install reads them from the checkout instead. Everything else is in pyproject.toml.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
SHIPPED = (("lessons", "[0-9][0-9]_*.py"), ("lessons/solutions", "[0-9][0-9]_*.py"), ("notebooks", "*.ipynb"))


class BuildPyWithLessons(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib) / "kerasmodels" / "course" / "_lessons"
        for folder, pattern in SHIPPED:
            sources = sorted((ROOT / folder).glob(pattern))
            if not sources:
                raise RuntimeError(f"no {folder}/{pattern} to ship: build from a checkout or an sdist that has them")
            self.mkpath(str(target / folder))
            for source in sources:
                self.copy_file(str(source), str(target / folder / source.name))


setup(cmdclass={"build_py": BuildPyWithLessons})
