"""README's two commands are the ones CI runs."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_ci_runs_readme_install_and_test_commands():
    readme = ROOT / "README.md"
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    text = readme.read_text()
    install = next(line for line in text.splitlines() if line.startswith("python3 -m venv .venv"))
    test_command = ".ci/offline .venv/bin/python -m pytest -n 2 --dist loadgroup"
    assert f"```bash\n{test_command}\n```" in text
    install_without_tour = install.replace(" && .venv/bin/kerasmodels tour", "")
    assert install_without_tour != install, "README's first command runs the tour"
    assert install_without_tour in ci
    assert ci[-1] == test_command
