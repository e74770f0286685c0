"""The five source articles the course mirrors: one place for their titles and what each contributes.

`docs/sources.md` is generated from `markdown()` (`python -m kerasmodels.course.sources > docs/sources.md`)
and a test checks that the two agree. Lessons name a section as "article 002 §5.2"; their `articles:`
metadata holds the short form "002 §5.2", which `article_of` resolves.
"""

from dataclasses import dataclass

PAGE_URL = "https://github.com/kerasmodels/kerasmodels/blob/main/docs/sources.md"


@dataclass(frozen=True)
class Article:
    number: str          # "000".."004": how lessons cite it ("article 002 §5.2")
    file: str            # its file name under ../shared/sources/
    chinese_title: str   # the title as the article gives it
    english_title: str
    contributes: str     # what the course takes from it, in one or two sentences
    lessons: tuple       # numbers of the lessons whose `articles:` metadata cite it

    @property
    def label(self):
        return f"article {self.number}"


ARTICLES = (
    Article(
        "000", "000_b98aaaf1f6e4a4fe.txt",
        "AI 大模型创业：如何利用创新优势？",
        "Starting an AI large-model business: how to use the advantage of innovation",
        "Large-model principles and the train / evaluate / deploy workflow (§3.2), the squared-error loss, gradient "
        "descent and ReLU formulas with a linear-regression example (§4), a PyTorch LeNet on CIFAR-10 (§5.2–5.3), and FAQs on "
        "training speed and transparency (§9).",
        ("01", "02", "05", "07", "08", "11", "12", "17", "19"),
    ),
    Article(
        "001", "001_3ff88d35bd9bf2c1.txt",
        "AI 大模型创业：如何利用技术优势？",
        "Starting an AI large-model business: how to use the technical advantage",
        "Neurons, activations, loss functions and a hand-worked backpropagation example (§4.2–4.4), a "
        "Keras multilayer perceptron for binary classification (§5.2–5.4), and FAQs (Q1–Q5) on large "
        "data, performance, explainability and data privacy. (The file carries the article twice.)",
        ("01", "02", "03", "06", "07", "08", "09", "10", "11", "14", "16", "17", "18", "19"),
    ),
    Article(
        "002", "002_4fb5981844c73b31.txt",
        "AI大模型创业：如何应对未来市场挑战？",
        "Starting an AI large-model business: how to meet the market's future challenges",
        "Convolution, pooling and fully connected layers with pseudo-code (§3.1–3.2), the linear algebra, "
        "calculus and probability behind training (§4), and the Keras MNIST CNN with its 5×5 grid of "
        "predictions (§5.2), which `cnn(preset=\"article002\")` rebuilds layer for layer.",
        ("02", "04", "07", "08", "09", "14"),
    ),
    Article(
        "003", "003_3864fc09b6e09914.txt",
        "大模型时代的创业者创业故事：激情、坚持与梦想",
        "Founders' stories from the age of large models: passion, persistence and dreams",
        "Pre-training, fine-tuning and parameter-efficient fine-tuning (§3.1), the cross-entropy loss, L2 "
        "and dropout (§4), BERT fine-tuned for sentiment analysis (§5.2), and FAQs on regularisation, privacy and "
        "bias (Q3–Q5).",
        ("02", "08", "10", "11", "12", "13", "14", "16", "17", "18"),
    ),
    Article(
        "004", "004_0f46b0da031c57ec.txt",
        "AI 大模型创业：如何利用资源优势？",
        "Starting an AI large-model business: how to use the advantage of resources",
        "An outline of model types (neural-network and reinforcement-learning models, §1.1.2), "
        "optimisers (§2.2), NLP and vision algorithms (§2.3–2.4), and a glossary (appendix A, terms 1–10: "
        "GANs, model compression, federated learning, ...).",
        ("01", "05", "10", "12", "15", "16", "18", "20"),
    ),
)

BY_NUMBER = {a.number: a for a in ARTICLES}


def article_of(citation):
    """The Article a lesson's `articles:` entry ("002 §5.2", "001 Q3", "004 term 5") names; ValueError if none."""
    number = str(citation).strip()[:3]
    if number not in BY_NUMBER:
        raise ValueError(f"articles: entry {citation!r} names no source article; start it with one of "
                         f"{', '.join(BY_NUMBER)} (see docs/sources.md)")
    return BY_NUMBER[number]


def markdown():
    """The page docs/sources.md, as Markdown."""
    lines = [
        "# The five source articles",
        "",
        "<!-- Generated from kerasmodels/course/sources.py by "
        "`python -m kerasmodels.course.sources > docs/sources.md`; edit that file, not this one. -->",
        "",
        "The course mirrors five Chinese articles on building AI products with large models (大模型). "
        "They are not part of this repository; the project keeps them under `../shared/sources/`. "
        "Each lesson's header names the sections it follows, and `kerasmodels lessons` lists them "
        "in its *mirrors* column.",
        "",
        "How a section is named:",
        "",
        "- **article 002 §5.2**: article 002, the section numbered 5.2 in its own headings.",
        "- **article 001 Q3**: article 001, question 3 of its appendix of frequently asked questions "
        "(常见问题与解答).",
        "- **article 004 term 5**: article 004, term 5 of its glossary (appendix A, 术语).",
        "",
        "The lessons follow the articles' code and claims and correct them where a run shows they are "
        "wrong; each correction is stated in the lesson next to the evidence.",
        "",
        "| Article | Chinese title | English title | Lessons |",
        "|---|---|---|---|",
    ]
    for a in ARTICLES:
        lines.append(f"| {a.number} | {a.chinese_title} | {a.english_title} | {', '.join(a.lessons)} |")
    lines.append("")
    for a in ARTICLES:
        lines += [
            f"## Article {a.number}: {a.english_title}",
            "",
            f"**{a.chinese_title}** (file `{a.file}`)",
            "",
            a.contributes,
            "",
            f"Cited by lessons {', '.join(a.lessons)}.",
            "",
        ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown(), end="")
