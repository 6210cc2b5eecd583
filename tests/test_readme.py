"""The README's examples run and print what the README shows under them.

An example is a ```python block followed by a plain ``` block of its output (with at most the
word "prints" between them). Each is run in a fresh namespace and its printed lines compared
with the README's: text exactly, numbers to the precision the README prints them (a shown
0.0028 stands for anything that rounds to it, 0.00284 but not 0.0029).
"""

import contextlib
import io
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.M | re.S)
HEADING = re.compile(r"^#+ (.+)$", re.M)
#: A number as printed: not inside a word or a dotted name (k2, utf-8's 8 is one, 0xf9 is not).
NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?(?!\w)(?!\.\d)")
#: Examples that take more than a few seconds (1500 training updates, twice).
SLOW = {"Training, tasks, diagnostics"}


def readme_examples(text):
    """``{heading: (code, shown output)}`` for each example of the README ``text``."""
    blocks = [(m.start(), m.end(), m.group(1), m.group(2)) for m in FENCE.finditer(text)]
    examples = {}
    for (start, end, lang, code), (next_start, _, next_lang, shown) in zip(blocks, blocks[1:]):
        if lang == "python" and next_lang == "" and \
                text[end:next_start].strip() in ("", "prints"):
            heading = HEADING.findall(text, 0, start)[-1]
            assert heading not in examples, f"two examples under {heading!r}"
            examples[heading] = (code, shown)
    return examples


def differences(shown: str, printed: str) -> list:
    """How ``printed`` differs from the output ``shown``: text exactly, numbers to the precision
    shown; one sentence per line that differs, none when they agree."""
    shown_lines, printed_lines = shown.rstrip().splitlines(), printed.rstrip().splitlines()
    if len(shown_lines) != len(printed_lines):
        return [f"{len(printed_lines)} lines printed where the README shows {len(shown_lines)}"]
    found = []
    for i, (want, got) in enumerate(zip(shown_lines, printed_lines), 1):
        want, got = want.rstrip(), got.rstrip()
        want_numbers, got_numbers = NUMBER.findall(want), NUMBER.findall(got)
        same = (NUMBER.split(want) == NUMBER.split(got)
                and len(want_numbers) == len(got_numbers)
                and all(_agrees(w, g) for w, g in zip(want_numbers, got_numbers)))
        if not same:
            found.append(f"line {i} printed\n  {got}\nwhere the README shows\n  {want}")
    return found


def _agrees(shown: str, printed: str) -> bool:
    """Whether ``printed`` rounds to ``shown`` at the last digit shown."""
    mantissa, _, exponent = shown.lower().partition("e")
    decimals = len(mantissa.partition(".")[2])
    half_unit = 0.5 * 10.0 ** (int(exponent or 0) - decimals)
    return abs(float(printed) - float(shown)) <= half_unit * (1 + 1e-9)


def run(code: str) -> str:
    """What ``code`` prints, run in a namespace of its own."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, str(README), "exec"), {"__name__": "__readme__"})
    return out.getvalue()


EXAMPLES = readme_examples(README.read_text(encoding="utf-8"))


def test_every_python_example_in_the_readme_shows_its_output():
    text = README.read_text(encoding="utf-8")
    python_blocks = [m for m in FENCE.finditer(text) if m.group(1) == "python"]
    assert len(EXAMPLES) == len(python_blocks) >= 4
    assert {"The engine in ten lines", "Training, tasks, diagnostics", "Your own data",
            "Beyond truncation: RTRL, UORO, randomized truncation"} <= set(EXAMPLES)
    assert SLOW <= set(EXAMPLES)


@pytest.mark.parametrize("heading", [
    pytest.param(h, marks=[pytest.mark.slow] if h in SLOW else []) for h in EXAMPLES])
def test_the_readme_example_prints_what_the_readme_shows(heading):
    code, shown = EXAMPLES[heading]
    found = differences(shown, run(code))
    assert not found, f"README, {heading}:\n" + "\n".join(found)


# --- the comparison can fail ---------------------------------------------------------------------

def test_numbers_agree_to_the_precision_the_readme_shows_and_no_further():
    shown = "k2=20: last loss 0.0028 (baseline 0.0833)"
    assert differences(shown, "k2=20: last loss 0.0028 (baseline 0.0833)") == []
    assert differences(shown, "k2=20: last loss 0.00284 (baseline 0.08333)") == []
    assert differences(shown, "k2=20: last loss 0.0029 (baseline 0.0833)")       # a wrong number
    assert differences(shown, "k2=20: last loss 0.00276 (baseline 0.0833)") == []
    assert differences(shown, "k2=20: last loss 0.00274 (baseline 0.0833)")
    assert differences("loss 0.00284", "loss 0.0028")          # fewer digits than shown
    assert differences("[2.59069228e-01 4.90045429e-06]", "[2.59069228e-01 4.90045429e-06]") == []
    assert differences("[2.59069228e-01 4.90045429e-06]", "[2.59069228e-01 4.90045430e-06]")
    assert differences("5 updates", "6 updates") and differences("k2= 5:", "k2= 6:")
    assert differences("1971 forecast 833", "1971 forecast 833.4") == []
    assert differences("1971 forecast 833", "1971 forecast 834")


def test_text_and_lines_are_compared_exactly():
    assert differences("peak_stored_bytes=10880)", "peak_stored_bytes=10880, flops=None)")
    assert differences("a\nb", "a") == ["1 lines printed where the README shows 2"]
    assert differences("utf-8 at line 1", "utf-16 at line 1")
    assert differences("byte 0xf9", "byte 0xf8")
    assert differences("a  \nb\n", "a\nb") == []                 # trailing blanks aside


def test_a_changed_output_of_a_real_example_fails():
    code, shown = EXAMPLES["The engine in ten lines"]
    printed = run(code)
    assert differences(shown, printed) == []
    drifted = printed.replace("cosine(truncated, full) = 0.999", "cosine(truncated, full) = 0.998")
    assert differences(shown, drifted) == [
        "line 3 printed\n  cosine(truncated, full) = 0.998\n"
        "where the README shows\n  cosine(truncated, full) = 0.999"]
