"""``glassnet exercise``: a fresh numerical problem from a seed; ``glassnet exercise check``: mark answers.

    glassnet exercise --kind backprop --seed 7               the question
    glassnet exercise --kind backprop --seed 7 --solution    and its worked solution
    glassnet exercise --kind backprop --seed 7 --answers-template > answers.toml
    glassnet exercise check answers.toml                     which answers are wrong, and by how much

An answers file is TOML: ``kind`` and ``seed`` of the exercise, then ``name = number`` lines under
``[answers]`` (the names are those of --answers-template: z1_2, a1_2, yhat, L, "dL/dw2_11", w2_11_new ...).
The template's answers are ``nan``, which check counts as not answered: replace each with your number.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from glassnet.cli.help import plain
from glassnet.explain import exercises
from glassnet.io.config import read_toml


def add_parser(commands) -> None:
    parser = commands.add_parser(
        "exercise",
        help="generate a numerical exercise (and its solution), or check answers to one",
        description=plain(__doc__),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("action", nargs="?", choices=["check"], help="check the answers in ANSWERS")
    parser.add_argument("answers", nargs="?", metavar="ANSWERS", help="the answers file (with check)")
    parser.add_argument("--kind", default="backprop", help=f"one of: {', '.join(exercises.KINDS)}")
    parser.add_argument(
        "--seed", type=int, default=0, help="which exercise (the same seed, the same problem)"
    )
    parser.add_argument("--solution", action="store_true", help="print the worked solution too")
    parser.add_argument("--answers-template", action="store_true", help="print an answers file to fill in")
    parser.add_argument("--format", default="text", choices=["text", "md", "tex", "html"])
    parser.add_argument("--precision", type=int, default=6)
    parser.set_defaults(run=run)


def run(args) -> int:
    if args.action == "check":
        return _check(args)
    exercise = exercises.generate(args.kind, args.seed)
    if args.answers_template:
        print(f'kind = "{exercise.kind}"\nseed = {exercise.seed}\n\n{_TEMPLATE_NOTE}\n[answers]')
        for name in exercise.answers:
            print(f'"{name}" = nan' if "/" in name else f"{name} = nan")
        return 0
    print(exercise.question.render(args.format, args.precision), end="")
    if args.solution:
        print()
        print(exercise.solution.render(args.format, args.precision), end="")
    return 0


def _check(args) -> int:
    if not args.answers:
        raise ValueError("exercise check needs the answers file: glassnet exercise check answers.toml")
    path = Path(args.answers)
    content = read_toml(path, "answers file")
    if "kind" not in content or "seed" not in content or not isinstance(content.get("answers"), dict):
        raise ValueError(
            f"{path}: an answers file needs kind, seed and an [answers] table "
            "(print one with --answers-template)"
        )
    answered = {name: value for name, value in content["answers"].items() if not _unanswered(value)}
    if not answered:
        raise ValueError(
            f"{path}: no answers yet: replace the nan after each name in [answers] with your number"
        )
    exercise = exercises.generate(content["kind"], int(content["seed"]))
    result = exercises.check(exercise, answered)
    print(f"exercise {exercise.kind} #{exercise.seed}:")
    print(result)
    return 0 if result.all_correct else 1


_TEMPLATE_NOTE = "# Replace each nan with your answer; an answer left nan is not marked."


def _unanswered(value) -> bool:
    """A template's ``nan``: the student has not answered (a 0 may be an answer, and a right one)."""
    return isinstance(value, float) and math.isnan(value)
