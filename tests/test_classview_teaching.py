"""The class view's peer-instruction and experiment API: votes in rounds on a guided step (each
page's latest choice per round counts, the summary and the CSV keep the rounds), a lesson
paused, and a class experiment's points (one per page, without its id). The server runs in this
process (tests/classview_server.py)."""

import base64
import csv
import io
import json

import numpy as np
import pytest
from classview_server import KERNEL, LECTURER, LESSON, TOKEN, class_server, request

from bpttviz.lessons import LESSONS

STEPS = LESSONS["vanishing_exploding"].steps()
N1 = len(STEPS[0].choices)
OTHER = "03_truncated_bptt"


@pytest.fixture
def base(tmp_path):
    with class_server(tmp_path) as url:
        yield url


def answer(base, page, step, choice, **more):
    return request(f"{base}/kernel/answer", {"page": page, "lesson": LESSON, "step": step,
                                             "choice": choice, **more}, KERNEL)


def vote(base, step, is_open, lesson=LESSON):
    return request(f"{base}/api/vote", {"lesson": lesson, "step": step, "open": is_open},
                   LECTURER)


def step_summary(base, step):
    s = request(f"{base}/api/summary", auth=LECTURER)[1]
    return s["lessons"][LESSON]["steps"][str(step)]


def split(**counts):
    """``{"1": n, ...}`` with every choice of step 1; ``split(c1=2)`` gives choice 1 two."""
    return {str(k): counts.get(f"c{k}", 0) for k in range(1, N1 + 1)}


def test_two_rounds_count_each_pages_latest_choice_in_each(base):
    assert vote(base, 1, True)[0] == 200
    assert step_summary(base, 1)["open"] is True
    answer(base, "page-aaaa", 1, 1)
    answer(base, "page-bbbb", 1, 2)
    answer(base, "page-bbbb", 1, 1)                  # changed its mind: the latest counts
    answer(base, "page-cccc", 1, 2)
    status, reply = vote(base, 1, False)
    assert status == 200 and reply["votes"] == {"1": {"round": 1, "open": False}}
    assert answer(base, "page-dddd", 1, 2)[0] == 409   # closed: the split shown stays
    assert vote(base, 1, True)[1]["votes"] == {"1": {"round": 2, "open": True}}
    answer(base, "page-aaaa", 1, 2)
    answer(base, "page-bbbb", 1, 2)
    # A choice made in round 1 that arrives now is not counted in round 2.
    assert answer(base, "page-cccc", 1, 1, round=1)[0] == 409
    answer(base, "page-cccc", 1, 2, round=2)
    step = step_summary(base, 1)
    assert step["open"] is True
    assert step["rounds"] == [{"answers": split(c1=2, c2=1), "answered": 3},
                              {"answers": split(c2=3), "answered": 3}]
    # "answers" stays the latest round's, as today's clients read it.
    assert step["answers"] == split(c2=3) and step["answered"] == 3
    assert step["revealed"] is False
    # Another step without a vote counts as given.
    answer(base, "page-aaaa", 2, 1)
    two = step_summary(base, 2)
    assert two["open"] is False and two["rounds"] == [] and two["answered"] == 1


def test_a_kernel_is_told_the_votes_of_its_lesson(base):
    vote(base, 2, True)
    vote(base, 2, False)
    vote(base, 3, True)
    _, state = request(f"{base}/kernel/state?page=page-aaaa&lesson={LESSON}&version=-1&hold=0",
                       auth=KERNEL)
    assert state["votes"] == {"2": {"round": 1, "open": False}, "3": {"round": 1, "open": True}}
    assert state["paused"] is False and state["experiment"] is False
    _, other = request(f"{base}/kernel/state?page=page-aaaa&lesson={OTHER}&version=-1&hold=0",
                       auth=KERNEL)
    assert other["votes"] == {}


def test_the_csv_keeps_the_rounds(base):
    vote(base, 1, True)
    answer(base, "page-aaaa", 1, 1)
    vote(base, 1, True)                              # round 2; round 1 closed with it
    answer(base, "page-aaaa", 1, 2)
    answer(base, "page-bbbb", 1, 2)
    answer(base, "page-aaaa", 2, 1)
    rows = list(csv.DictReader(io.StringIO(request(f"{base}/api/summary.csv",
                                                   auth=LECTURER)[1])))
    one = {(r["round"], r["choice"]): (r["count"], r["answered"]) for r in rows
           if (r["lesson"], r["step"]) == (LESSON, "1")}
    assert len(one) == 2 * N1
    assert one["1", "1"] == ("1", "1") and one["1", "2"] == ("0", "1")
    assert one["2", "1"] == ("0", "2") and one["2", "2"] == ("2", "2")
    two = [r for r in rows if (r["lesson"], r["step"]) == (LESSON, "2")]
    assert {r["round"] for r in two} == {""} and len(two) == len(STEPS[1].choices)


def test_rounds_survive_a_restart_and_clear_forgets_them(tmp_path):
    with class_server(tmp_path) as base:
        vote(base, 1, True)
        answer(base, "page-aaaa", 1, 3)
        vote(base, 1, False)
        before = step_summary(base, 1)
    with class_server(tmp_path) as base:
        assert step_summary(base, 1) == before
        assert before["rounds"] == [{"answers": split(c3=1), "answered": 1}]
        request(f"{base}/api/clear", {"lesson": LESSON}, LECTURER)
        after = step_summary(base, 1)
        assert after["rounds"] == [] and after["open"] is False and after["answered"] == 0


@pytest.mark.parametrize("path, body", [
    ("/api/vote", {"lesson": LESSON, "step": 1, "open": True}),
    ("/api/pause", {"lesson": LESSON, "paused": True}),
    ("/api/experiment", {"lesson": LESSON, "running": True}),
    ("/api/experiment?lesson=" + LESSON, None),
    (f"/api/experiment/figure?lesson={LESSON}&x=settings:scale&y=result:grad_norm", None),
])
@pytest.mark.parametrize("auth", [None, "token wrong-token", KERNEL])
def test_the_lecturers_new_routes_refuse_without_the_token(base, path, body, auth):
    status, reply = request(base + path, body, auth)
    assert status == 403 and "token" in reply["error"]
    s = request(f"{base}/kernel/state?page=page-aaaa&lesson={LESSON}&version=-1&hold=0",
                auth=KERNEL)[1]
    assert s["votes"] == {} and s["paused"] is False and s["experiment"] is False
    # The query's token works as for the other routes.
    assert request(f"{base}/api/experiment?lesson={LESSON}&token={TOKEN}")[0] == 200


@pytest.mark.parametrize("path, body, says", [
    ("/api/vote", {"lesson": "x", "step": 1, "open": True}, "unknown lesson 'x'"),
    ("/api/vote", {"lesson": LESSON, "open": True}, "unknown step 'missing'"),
    ("/api/vote", {"lesson": LESSON, "step": 99, "open": True}, "unknown step 99"),
    ("/api/vote", {"lesson": LESSON, "step": 1}, "'open' must be true or false; got None"),
    ("/api/vote", {"lesson": LESSON, "step": 1, "open": "yes"}, "got 'yes'"),
    ("/api/vote", {"lesson": LESSON, "step": 1, "open": False}, "has no vote to close"),
    ("/api/pause", {"lesson": "x", "paused": True}, "unknown lesson 'x'"),
    ("/api/pause", {"lesson": LESSON}, "'paused' must be true or false; got None"),
    ("/api/experiment", {"lesson": LESSON, "running": 1}, "'running' must be true or false"),
    ("/api/experiment", {"running": True}, "unknown lesson None"),
])
def test_the_new_routes_say_what_is_wrong_with_400(base, path, body, says):
    status, reply = request(base + path, body, LECTURER)
    assert status == 400
    assert says in reply["error"]
    assert request(f"{base}/api/experiment?lesson={LESSON}", auth=LECTURER)[1]["running"] is False
    assert step_summary(base, 1)["rounds"] == []


def test_the_experiment_of_an_unknown_lesson_is_400(base):
    status, reply = request(f"{base}/api/experiment?lesson=nope", auth=LECTURER)
    assert status == 400 and "unknown lesson 'nope'" in reply["error"]
    status, reply = request(f"{base}/api/experiment", auth=LECTURER)
    assert status == 400 and "unknown lesson None" in reply["error"]


def test_an_answer_with_a_round_where_no_vote_is_is_400(base):
    status, reply = answer(base, "page-aaaa", 1, 1, round=1)
    assert status == 400 and "has no vote" in reply["error"]
    vote(base, 1, True)
    status, reply = answer(base, "page-aaaa", 1, 1, round=2)
    assert status == 400 and "from 1 to 1; got 2" in reply["error"]


def test_pause_is_told_to_the_kernels_of_that_lesson_only(base):
    status, reply = request(f"{base}/api/pause", {"lesson": LESSON, "paused": True}, LECTURER)
    assert status == 200 and reply["paused"] is True

    def paused(lesson):
        return request(f"{base}/kernel/state?page=page-aaaa&lesson={lesson}&version=-1&hold=0",
                       auth=KERNEL)[1]["paused"]
    assert paused(LESSON) is True and paused(OTHER) is False
    request(f"{base}/api/pause", {"lesson": LESSON, "paused": False}, LECTURER)
    assert paused(LESSON) is False


def point(scale, norm, page="page-aaaa", lesson=LESSON):
    return {"page": page, "lesson": lesson, "settings": {"scale": scale, "activation": "tanh"},
            "result": {"grad_norm": norm}, "link": f"/voila/render/{lesson}.ipynb?scale={scale}"}


def test_an_experiment_keeps_one_point_per_page_its_latest_without_its_id(base):
    assert request(f"{base}/kernel/result", point(1.0, 0.5), KERNEL)[0] == 409   # not running
    status, reply = request(f"{base}/api/experiment", {"lesson": LESSON, "running": True},
                            LECTURER)
    assert status == 200 and reply == {"ok": True, "running": True, "points": []}
    assert request(f"{base}/kernel/result", point(1.0, 0.5), KERNEL)[0] == 200
    assert request(f"{base}/kernel/result", point(2.0, 9.0, "page-bbbb"), KERNEL)[0] == 200
    assert request(f"{base}/kernel/result", point(1.5, 2.0), KERNEL)[0] == 200    # its latest
    status, got = request(f"{base}/api/experiment?lesson={LESSON}", auth=LECTURER)
    assert status == 200 and got["running"] is True
    assert [p["settings"]["scale"] for p in got["points"]] == [2.0, 1.5]
    assert got["points"][1] == {"settings": {"scale": 1.5, "activation": "tanh"},
                                "result": {"grad_norm": 2.0},
                                "link": f"/voila/render/{LESSON}.ipynb?scale=1.5"}
    assert "page-aaaa" not in json.dumps(got)
    request(f"{base}/api/experiment", {"lesson": LESSON, "running": False}, LECTURER)
    assert request(f"{base}/kernel/result", point(3.0, 1.0), KERNEL)[0] == 409
    assert len(request(f"{base}/api/experiment?lesson={LESSON}", auth=LECTURER)[1]["points"]) == 2
    other = request(f"{base}/api/experiment?lesson={OTHER}", auth=LECTURER)[1]
    assert other == {"running": False, "points": []}


def test_the_experiments_figure_is_the_lessons_record_of_the_points_with_both_values(base):
    request(f"{base}/api/experiment", {"lesson": LESSON, "running": True}, LECTURER)
    for scale, norm, page in ((1.0, 0.5, "page-aaaa"), (2.0, 500.0, "page-bbbb"),
                              (3.0, None, "page-cccc")):
        assert request(f"{base}/kernel/result", point(scale, norm, page), KERNEL)[0] == 200
    figure = f"{base}/api/experiment/figure?lesson={LESSON}"
    status, got = request(f"{figure}&x=settings:scale&y=result:grad_norm", auth=LECTURER)
    assert status == 200 and got["spec"]["type"] == "Figure"
    panel = got["spec"]["panels"][0]
    assert (panel["x"]["label"], panel["y"]["label"]) == ("scale", "grad_norm")
    assert panel["y"]["scale"] == "log"                      # 0.5 to 500: a thousandfold
    (mark,) = panel["marks"]
    xs = np.frombuffer(base64.b64decode(got["arrays"][mark["x"]["ref"]]), mark["x"]["dtype"])
    assert xs.tolist() == [1.0, 2.0]                          # the page without a norm: left out
    assert [p["link"] for p in got["points"]] == [point(s, 0)["link"] for s in (1.0, 2.0)]
    assert "2 points" in got["description"] and "1 without both values" in got["description"]
    for query, says in (("&x=scale&y=result:grad_norm", "'x' must be settings:NAME"),
                        ("&x=settings:scale&y=", "'y' must be settings:NAME")):
        status, reply = request(figure + query, auth=LECTURER)
        assert status == 400 and says in reply["error"]
    assert request(f"{base}/api/experiment/figure", {"lesson": LESSON}, LECTURER)[0] == 405


@pytest.mark.parametrize("change, says", [
    ({"link": "javascript:alert(1)"}, "'link' must be an http(s) address"),
    ({"result": [1, 2]}, "'result' must be an object"),
    ({"settings": {"scale": float("inf")}}, "finite numbers"),
    ({"extra": 1}, "exactly 'settings', 'result' and 'link'"),
    ({"page": "x"}, "'page'"),
    ({"lesson": "nope"}, "unknown lesson 'nope'"),
])
def test_a_bad_point_is_refused_with_400(base, change, says):
    request(f"{base}/api/experiment", {"lesson": LESSON, "running": True}, LECTURER)
    body = {**point(1.0, 0.5), **change}
    raw = json.dumps(body).encode()                  # Infinity passes through as JSON allows
    status, reply = request(f"{base}/kernel/result", raw=raw, auth=KERNEL)
    assert status == 400 and says in reply["error"]
    assert request(f"{base}/api/experiment?lesson={LESSON}", auth=LECTURER)[1]["points"] == []


def test_only_a_kernel_may_send_a_point(base):
    request(f"{base}/api/experiment", {"lesson": LESSON, "running": True}, LECTURER)
    assert request(f"{base}/kernel/result", point(1.0, 0.5), LECTURER)[0] == 403
    assert request(f"{base}/kernel/result", point(1.0, 0.5))[0] == 403
    assert request(f"{base}/api/experiment?lesson={LESSON}", auth=LECTURER)[1]["points"] == []
