"""Where kerasmodels is published: the one place install instructions take the names from.

The import name is `kerasmodels`; the distribution is `kerasmodels-course`, because the name
`kerasmodels` on PyPI belongs to an unrelated project. Until a release is on PyPI, hosted
notebooks (Colab, Kaggle) install from the repository. pyproject.toml repeats these two values
(a test checks that they agree).
"""

DISTRIBUTION = "kerasmodels-course"
REPOSITORY_URL = "https://github.com/kerasmodels/kerasmodels"
BRANCH = "main"

# What `pip install` takes: the repository until the first release is on PyPI.
PIP_REQUIREMENT = f"{DISTRIBUTION} @ git+{REPOSITORY_URL}"


def notebook_url(notebook_name):
    """The notebook's page in the repository (what Colab and Kaggle open)."""
    return f"{REPOSITORY_URL}/blob/{BRANCH}/notebooks/{notebook_name}"


def colab_url(notebook_name):
    return "https://colab.research.google.com/github/" + notebook_url(notebook_name).removeprefix("https://github.com/")


def kaggle_url(notebook_name):
    return f"https://kaggle.com/kernels/welcome?src={notebook_url(notebook_name)}"
