"""A series or a text of the user's: Series, Series.from_csv, CharLM.from_file, nile().

Small files written here (with and without a header, other delimiters, bytes and
file objects), every bad file refused with a message that says where, and a
noisy periodic series learnt well below its persistence baseline.
"""

import io
from importlib import resources

import numpy as np
import pytest

import bpttviz
from bpttviz import diagnostics as D
from bpttviz.tasks import MAX_BYTES, TASKS, CharLM, Series, make_task, nile

NILE_HEAD = [1120, 1160, 963, 1210, 1160]


def periodic(n=400, period=12, noise=0.2, seed=0):
    """A sine of period 12 plus Gaussian noise: what a monthly series with a season looks like."""
    rng = np.random.default_rng(seed)
    return np.sin(2 * np.pi * np.arange(n) / period) + noise * rng.normal(size=n)


def write(tmp_path, text, name="data.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return path


def refused(call, *parts, param="path", func="Series.from_csv"):
    """The ValueError of ``call``: it names ``param`` and ``func`` and holds every part."""
    with pytest.raises(ValueError) as info:
        call()
    message = str(info.value)
    assert f"The '{param}' parameter of {func}" in message, message
    for part in parts:
        assert part in message, f"{part!r} not in: {message}"
    assert len(message) < 300, message
    return message


# --- Series on values ---------------------------------------------------------------------

def test_windows_predict_the_value_horizon_steps_ahead():
    x = np.arange(30.0) ** 2                                  # every window is identifiable
    task = Series(x, T=5, horizon=3, normalize=False)
    batch = task.sample(8, 0)
    assert (task.n_in, task.n_out, task.loss) == (1, 1, "mse")
    assert batch.inputs.shape == (5, 8, 1) and batch.targets.shape == (5, 8, 1)
    start = np.sqrt(batch.inputs[0, :, 0]).astype(int)
    for b, s in enumerate(start):
        np.testing.assert_array_equal(batch.inputs[:, b, 0], x[s:s + 5])
        np.testing.assert_array_equal(batch.targets[:, b, 0], x[s + 3:s + 8])
    # every start from 0 to N - T - horizon is drawn, and none later
    starts = np.sqrt(task.sample(2000, 1).inputs[0, :, 0]).astype(int)
    assert set(starts) == set(range(30 - 5 - 3 + 1))


def test_normalisation_is_a_z_score_that_denormalize_undoes():
    x = 50 + 10 * periodic(120)
    task = Series(x, T=10)
    assert task.mean == pytest.approx([x.mean()]) and task.std == pytest.approx([x.std()])
    assert task.scaled.mean() == pytest.approx(0, abs=1e-12)
    assert task.scaled.std() == pytest.approx(1)
    raw = Series(x, T=10, normalize=False)
    np.testing.assert_array_equal(raw.scaled[:, 0], x)
    assert raw.denormalize(2.5) == 2.5
    # the same windows, scaled and raw: denormalize maps one onto the other, shape kept
    a, b = task.sample(4, 7), raw.sample(4, 7)
    np.testing.assert_allclose(task.denormalize(a.targets), b.targets)
    assert task.denormalize(a.targets).shape == (10, 4, 1)


def test_baseline_is_the_persistence_loss_on_the_scaled_series():
    x = periodic(300)
    task = Series(x, T=20, horizon=2)
    batch = task.sample(20000, 0)
    # predict x_{t+2} by x_t: the input at the same step
    persistence = 0.5 * np.mean((batch.targets[..., 0] - batch.inputs[..., 0]) ** 2)
    assert persistence == pytest.approx(task.baseline, rel=0.02)
    z = (x - x.mean()) / x.std()
    assert task.baseline == pytest.approx(0.5 * np.mean((z[2:] - z[:-2]) ** 2), rel=0.02)


def test_a_two_dimensional_series_has_every_column_as_input_and_the_first_as_target():
    x = np.stack([periodic(100), np.arange(100.0), periodic(100, seed=1)], axis=1)   # (N, 3)
    task = Series(x, T=6)
    batch = task.sample(5, 0)
    assert task.n_in == 3 and task.n_out == 1 and batch.inputs.shape == (6, 5, 3)
    np.testing.assert_array_equal(batch.targets[:-1, :, 0], batch.inputs[1:, :, 0])
    assert task.mean.shape == task.std.shape == (3,)
    assert "100 x 3" in repr(task)


def test_series_is_seeded_and_sample_takes_another_length():
    task = Series(periodic(), T=24)
    a, b = task.sample(4, 3), task.sample(4, np.random.default_rng(3))
    np.testing.assert_array_equal(a.inputs, b.inputs)
    assert task.sample(2, 0, seq_len=399).T == 399
    with pytest.raises(ValueError, match=r"'seq_len' parameter of Series.sample .*\[1, 399\]"):
        task.sample(2, 0, seq_len=400)


@pytest.mark.parametrize("values, kw, parts", [
    ([1.0, np.nan, 3, np.inf] + [1.0] * 10, {"T": 5}, ["finite", "2 rows", "indices 1, 3"]),
    (np.arange(10.0), {"T": 20}, ["T + horizon = 21", "Got 10", "'T'"]),
    (np.arange(10.0), {"T": 8, "horizon": 3}, ["T + horizon = 11", "horizon=3", "Got 10"]),
    (np.ones(30), {"T": 5}, ["vary when normalize=True", "the series constant"]),
    (np.ones((30, 2, 2)), {"T": 5}, ["1-D array (N,) or a 2-D", "(30, 2, 2)"]),
    (np.c_[np.arange(30.0), np.ones(30)], {"T": 5}, ["its column 1", "constant"]),
])
def test_series_checks_its_values(values, kw, parts):
    refused(lambda: Series(values, **kw), *parts, param="values", func="Series")


def test_a_constant_series_is_kept_raw():
    task = Series(np.ones(30), T=5, normalize=False)
    assert task.baseline == 0.0


# --- Series.from_csv ---------------------------------------------------------------------

def test_a_header_and_a_column_by_name_or_index(tmp_path):
    path = write(tmp_path, "year,flow\n1871,1120\n1872,1160\n\n1873,963\n1874,1210\n1875,1160\n")
    by_name = Series.from_csv(path, "flow", T=3, normalize=False)
    by_index = Series.from_csv(str(path), 1, T=3, normalize=False)
    np.testing.assert_array_equal(by_name.values, NILE_HEAD)       # the blank line skipped
    np.testing.assert_array_equal(by_index.values, NILE_HEAD)
    assert by_name.name == "flow" and "column 'flow'" in by_name.source
    years = Series.from_csv(path, "year", T=3, normalize=False)
    assert years.values[0] == 1871


def test_no_header_and_the_first_numeric_column(tmp_path):
    path = write(tmp_path, "\n".join(str(v) for v in NILE_HEAD) + "\n")
    task = Series.from_csv(path, T=2, normalize=False)
    np.testing.assert_array_equal(task.values, NILE_HEAD)
    assert task.name == "series"
    two = write(tmp_path, "0.5,10\n1.25,20\n2.5,40\n", "two.csv")
    np.testing.assert_array_equal(Series.from_csv(two, T=2).values, [0.5, 1.25, 2.5])
    np.testing.assert_array_equal(Series.from_csv(two, 1, T=2).values, [10, 20, 40])


def test_without_a_column_a_time_axis_is_passed_over(tmp_path):
    # years, or the row numbers pandas writes as its index, are not what anyone predicts
    years = write(tmp_path, "year,flow\n1871,1120\n1872,1160\n1873,963\n")
    assert Series.from_csv(years, T=2).name == "flow"
    pandas = write(tmp_path, ",flow\n0,3.5\n1,4.25\n2,1.0\n", "pandas.csv")
    np.testing.assert_array_equal(Series.from_csv(pandas, T=2).values, [3.5, 4.25, 1.0])
    text_first = write(tmp_path, "date,flow\n1871-01,1120\n1871-02,1160\n1871-03,963\n", "d.csv")
    assert Series.from_csv(text_first, T=2).name == "flow"
    # ... unless it is the only numeric column
    ramp = write(tmp_path, "t\n1\n2\n3\n4\n", "ramp.csv")
    np.testing.assert_array_equal(Series.from_csv(ramp, T=2).values, [1, 2, 3, 4])


@pytest.mark.parametrize("text, delimiter", [
    ("year;flow\n1871;1120\n1872;1160\n1873;963\n1874;1210\n1875;1160\n", None),
    ("year\tflow\n1871\t1120\n1872\t1160\n1873\t963\n1874\t1210\n1875\t1160\n", None),
    ("year flow\n1871 1120\n1872  1160\n1873 963\n1874 1210\n1875 1160\n", None),
    ('"x"\n"1" 1120\n"2" 1160\n"3" 963\n"4" 1210\n"5" 1160\n', None),     # R's write.table
    ("year;flow\n1871;1120\n1872;1160\n1873;963\n1874;1210\n1875;1160\n", ";"),
    ("year\tflow\n1871\t1120\n1872\t1160\n1873\t963\n1874\t1210\n1875\t1160\n", "\t"),
    ("year|flow\n1871|1120\n1872|1160\n1873|963\n1874|1210\n1875|1160\n", "|"),
    ("year flow\n1871 1120\n1872\t1160\n1873 963\n1874 1210\n1875 1160\n", " "),
])
def test_delimiters_sniffed_or_given(tmp_path, text, delimiter):
    task = Series.from_csv(write(tmp_path, text), T=3, delimiter=delimiter, normalize=False)
    np.testing.assert_array_equal(task.values, NILE_HEAD)


def test_windows_line_endings_a_bom_and_quotes(tmp_path):
    text = '\ufeff"year","flow"\r\n"1871","1120"\r\n1872,1160\r\n1873,963\r\n'
    task = Series.from_csv(write(tmp_path, text), "flow", T=2, normalize=False)
    np.testing.assert_array_equal(task.values, NILE_HEAD[:3])


def test_several_columns_are_inputs_and_the_first_is_the_target(tmp_path):
    path = write(tmp_path, "t;rain;flow\n1;0.5;1120\n2;0.25;1160\n3;0.75;963\n4;1.0;1210\n")
    task = Series.from_csv(path, ["flow", 1], T=2, normalize=False)
    assert task.values.shape == (4, 2) and task.n_in == 2 and task.name == "flow"
    np.testing.assert_array_equal(task.values[:, 0], NILE_HEAD[:4])
    np.testing.assert_array_equal(task.values[:, 1], [0.5, 0.25, 0.75, 1.0])
    batch = task.sample(3, 0)
    np.testing.assert_array_equal(batch.targets[:-1, :, 0], batch.inputs[1:, :, 0])
    assert "columns ['flow', 'rain']" in task.source


def test_columns_lists_what_from_csv_would_read():
    content = b"year;flow;place\n1871;1120;Aswan\n1872;1160;Aswan\n1873;963;Aswan\n"
    cols = Series.columns(content)
    assert (cols.names, cols.numeric, cols.default) == (["year", "flow", "place"], [0, 1], 1)
    assert Series.from_csv(content, T=1).name == cols.names[cols.default]
    cols = Series.columns(b"0.5\t2\n0.7\t3\n")                   # no header: named by index
    assert (cols.names, cols.numeric, cols.default) == (["column 0", "column 1"], [0, 1], 0)
    # the same refusals as from_csv
    refused(lambda: Series.columns(b"a,b\nx,y\n"), "must hold a column of numbers")
    refused(lambda: Series.columns(b""), "must not be empty")


def test_bytes_and_file_objects_as_a_lesson_passes_an_upload(tmp_path):
    content = b"year,flow\n1871,1120\n1872,1160\n1873,963\n1874,1210\n1875,1160\n"
    for given in (content, bytearray(content), io.BytesIO(content),
                  io.StringIO(content.decode()), open(write(tmp_path, content), "rb")):
        task = Series.from_csv(given, "flow", T=3, normalize=False)
        np.testing.assert_array_equal(task.values, NILE_HEAD)
    latin = "année;débit\n1871;1120\n1872;1160\n1873;963\n".encode("latin-1")
    task = Series.from_csv(latin, "débit", T=2, encoding="latin-1", normalize=False)
    np.testing.assert_array_equal(task.values, NILE_HEAD[:3])
    assert task.source.startswith("the bytes given")


# --- bad files -----------------------------------------------------------------------------

def test_an_empty_file(tmp_path):
    refused(lambda: Series.from_csv(write(tmp_path, "")), "must not be empty", "empty file")
    refused(lambda: Series.from_csv(b"\n \n\n"), "blank lines")
    refused(lambda: Series.from_csv(b"year,flow\n"), "below its header ['year', 'flow']")


def test_a_file_in_another_encoding_says_which_to_pass(tmp_path):
    path = write(tmp_path, "année,débit\n1871,1120\n1872,1160\n", encoding="latin-1")
    refused(lambda: Series.from_csv(path, T=1), "'utf-8'", "0xe9", "line 1",
            "pass encoding='latin-1'")
    utf16 = write(tmp_path, "flow\n1\n2\n3\n", "u16.csv", encoding="utf-16")
    refused(lambda: Series.from_csv(utf16, T=1), "UTF-16", "pass encoding='utf-16'")
    assert Series.from_csv(utf16, T=1, encoding="utf-16").values.tolist() == [1, 2, 3]


@pytest.mark.parametrize("content, code", [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "0x00"),          # NUL bytes
    (bytes(range(1, 32)) + b"\xff\xfe\x80", "0x01"),            # undecodable, no NUL
    ("1\n2\x003\n".encode(), "0x00"),                            # valid UTF-8 holding a NUL
])
def test_a_binary_file(tmp_path, content, code):
    refused(lambda: Series.from_csv(write(tmp_path, content)), "must be a text file",
            "binary file", code)


def test_a_value_that_is_not_a_number_names_its_row_and_column(tmp_path):
    path = write(tmp_path, "year,flow\n1871,1120\n1872,1160\n1873,l20\n1874,1210\n")
    message = refused(lambda: Series.from_csv(path, "flow", T=2), "'l20'", "row 4",
                      "column B ('flow', column=1)", "counted from 1, as a spreadsheet")
    assert "row 4" in message                       # the header is row 1, as in a spreadsheet
    no_header = write(tmp_path, "1120\n1160\n\n963x\n", "b.csv")
    refused(lambda: Series.from_csv(no_header, T=2), "'963x'", "row 4", "column A (column=0)")
    refused(lambda: Series.from_csv(b"a,b\n1,2\n2,\n3,4\n", "b", T=1), "empty cell", "row 3",
            "column B ('b', column=1)")
    refused(lambda: Series.from_csv(b"a,b\n1,2\n2\n3,4\n", "b", T=1), "row 3 with 1 value(s)",
            "column B")
    # a typo in the first row, no column named: reported, not read as a column of text
    refused(lambda: Series.from_csv(b"year,flow\n1871,l120\n1872,1160\n1873,963\n"),
            "'l120'", "row 2", "column B ('flow', column=1)")
    refused(lambda: Series.from_csv(b"flow\n1,5\n2,5\n", T=1), "decimal comma")
    refused(lambda: Series.from_csv(b"date,name\n2020-01,x\n"), "column of numbers", "row 2")


def test_nan_and_inf_name_their_rows(tmp_path):
    path = write(tmp_path, "flow\n1\nnan\n3\ninf\n5\n-inf\n7\n")
    refused(lambda: Series.from_csv(path, T=1), "finite", "rows 3 (nan), 5 (inf), 7 (-inf)",
            "counted from 1")
    many = write(tmp_path, "flow\n" + "nan\n" * 9, "many.csv")
    refused(lambda: Series.from_csv(many, T=1), "rows 2 (nan), 3 (nan)", "and 4 more")


def test_too_short_for_t_says_how_many_values_and_how_many_are_needed(tmp_path):
    path = write(tmp_path, "flow\n1\n2\n3\n4\n")
    refused(lambda: Series.from_csv(path, T=4), "T + horizon = 5", "T=4, horizon=1", "Got 4",
            "lower 'T'")
    refused(lambda: Series.from_csv(path, T=2, horizon=3), "T + horizon = 5", "horizon=3")


def test_an_unknown_column_lists_the_columns(tmp_path):
    path = write(tmp_path, "year,flow\n1871,1120\n1872,1160\n")
    refused(lambda: Series.from_csv(path, "Flow", T=1), "['year', 'flow']", "Got 'Flow'",
            param="column")
    refused(lambda: Series.from_csv(path, 2, T=1), "[0, 1]", "['year', 'flow']", "Got 2",
            param="column")
    refused(lambda: Series.from_csv(path, ["flow", 1], T=1), "each column once",
            param="column")
    refused(lambda: Series.from_csv(b"1,2\n3,4\n", "flow", T=1), "no header row",
            param="column")
    wide = ",".join(f"c{i}" for i in range(30)).encode() + b"\n" + b",".join([b"1"] * 30)
    refused(lambda: Series.from_csv(wide, "x", T=1), "'c7', ... (30 columns)", param="column")


def test_a_file_over_max_bytes(tmp_path):
    assert MAX_BYTES == 5 * 1024 * 1024
    path = tmp_path / "big.csv"
    with open(path, "wb") as f:
        f.truncate(MAX_BYTES + 1)                  # sparse: refused by its size, never read
    refused(lambda: Series.from_csv(path), "at most 5 MB", f"{MAX_BYTES + 1} bytes")
    refused(lambda: Series.from_csv(b"1\n" * (MAX_BYTES // 2 + 1)), "at most 5 MB")
    refused(lambda: Series.from_csv(io.BytesIO(b"1\n" * (MAX_BYTES // 2 + 1))), "at most 5 MB")


def test_a_path_that_is_not_a_file(tmp_path):
    refused(lambda: Series.from_csv(tmp_path / "missing.csv"), "does not exist")
    refused(lambda: Series.from_csv("flow\n1\n2\n"), "does not exist", "as bytes")
    refused(lambda: Series.from_csv(tmp_path), "is a folder")
    with pytest.raises(TypeError, match=r"'path' parameter of Series.from_csv .*Got 3"):
        Series.from_csv(3)


@pytest.mark.parametrize("kw, param", [
    ({"encoding": "utf-99"}, "encoding"), ({"encoding": "base64"}, "encoding"),
    ({"delimiter": ",,"}, "delimiter"), ({"delimiter": "."}, "delimiter"),
    ({"column": []}, "column"), ({"T": 0}, "T"), ({"horizon": 0}, "horizon"),
])
def test_bad_arguments_are_refused_before_the_file_is_read(kw, param):
    # the path does not exist: the argument is refused first
    with pytest.raises(ValueError, match=f"'{param}' parameter of Series.from_csv"):
        Series.from_csv("/no/such/file.csv", **kw)


# --- CharLM.from_file ----------------------------------------------------------------------

def test_char_lm_from_a_file_bytes_or_a_file_object(tmp_path):
    text = "to be, or not to be,\r\nthat is the question\r\n"
    path = write(tmp_path, text, "hamlet.txt")
    for given in (path, str(path), text.encode(), io.BytesIO(text.encode())):
        task = CharLM.from_file(given, seq_len=10)
        assert task.text == text.replace("\r\n", "\n") and task.seq_len == 10
        assert task.vocab.chars == "".join(sorted(set(task.text)))
    batch = task.sample(4, 0)
    assert batch.inputs.shape == (10, 4, task.vocab.size)
    latin = CharLM.from_file("café crème".encode("latin-1"), encoding="latin-1", seq_len=3)
    assert latin.text == "café crème"


def test_char_lm_bad_files(tmp_path):
    def bad(content, *parts, param="path", **kw):
        refused(lambda: CharLM.from_file(content, **kw), *parts, param=param,
                func="CharLM.from_file")
    bad(b"", "must not be empty")
    bad("café".encode("latin-1"), "0xe9", "pass encoding='latin-1'")
    bad(b"ab\x00cd", "binary file", "0x00")
    bad(b"abc", "seq_len + 1 = 11", "Got 3", "lower 'seq_len'", seq_len=10)
    bad(tmp_path / "none.txt", "does not exist")
    bad(b"abc", "text encoding", param="encoding", encoding="utf-99")


# --- the shipped Nile series ------------------------------------------------------------------

def test_the_nile_is_shipped_with_its_source():
    task = nile()
    assert task.N == 100 and task.name == "nile" and task.seq_len == 50
    assert task.values[:5].tolist() == NILE_HEAD and task.values[-1] == 740
    # R's datasets::Nile: mean 919.35, sd 169.2275, the minimum 456 in 1913
    assert task.values.mean() == pytest.approx(919.35)
    assert task.values.std(ddof=1) == pytest.approx(169.2275, abs=1e-4)
    assert task.values.argmin() + 1871 == 1913
    assert "Aswan" in task.source and "public domain" in task.source
    assert make_task("nile", T=20).seq_len == 20 and TASKS["nile"] is nile
    years = Series.from_csv(resources.files("bpttviz") / "data" / "nile.csv",
                            "year", T=1, normalize=False).values
    np.testing.assert_array_equal(years, np.arange(1871, 1971))
    with pytest.raises(ValueError, match=r"'T' parameter of nile .*\[1, 99\]"):
        nile(T=100)


def test_the_data_folder_says_where_the_nile_comes_from():
    readme = (resources.files("bpttviz") / "data" / "README.md").read_text()
    for part in ("nile.csv", "Cobb", "Durbin", "public domain", "statsmodels", "Nile"):
        assert part in readme


# --- with the engine, the training loop and a diagnostic ----------------------------------------

def test_training_on_a_noisy_periodic_series_goes_well_under_its_baseline():
    task = Series(periodic(400, period=12, noise=0.2), T=24)
    for seed in (0, 1, 2):
        model = bpttviz.ElmanRNN(task.n_in, 8, task.n_out, seed=seed)
        history = bpttviz.train(model, task, lr=0.02, n_updates=150, batch_size=16, seed=seed,
                                progress=False)
        # persistence scores about 0.2 here; the network learns the season (about 0.06)
        assert history.loss[-20:].mean() < 0.5 * task.baseline, seed


def test_series_works_with_bptt_and_a_diagnostic():
    task = nile(T=30)
    batch = task.sample(4, 0)
    model = bpttviz.ElmanRNN(task.n_in, 6, task.n_out, seed=0)
    trace = bpttviz.bptt(model, batch.inputs, batch.targets, k1=10, k2=5, mask=batch.mask)
    assert len(trace.updates) == 3 and np.isfinite(trace.loss)
    assert trace.cost.forward_steps == 30
    bias = D.truncation_bias(model, batch.inputs, batch.targets, k2_values=[1, 5, 30], k1=10)
    assert bias.cosine[-1] == pytest.approx(1.0) and np.all(bias.cosine <= 1 + 1e-12)
