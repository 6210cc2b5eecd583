"""Lesson 4's "Your data" in headless Chromium: a CSV file chosen in the page's file input
reaches the kernel, becomes the task (column choice and preview drawn), trains with both curves
drawn; then a bad file gets its one message and the page keeps what it showed. The upload
panel passes axe like the rest of the page."""

import numpy as np
from live import LINE_POINTS, drawn, line_points
from page_in_browser import blocking_violations, in_browser, open_lesson, wait_status
from playwright.sync_api import expect

PAGE = "04_training"


#: Sixty updates: a curve long enough to be seen growing in the page.
PAGE_QUICK = "?updates=60&T=12&k1_a=12&k2_a=3&k1_b=12&k2_b=12"
MESSAGE = ".bpttviz-upload-message"
#: The number of points of each curve the loss figure shows (by legend label).
CURVE_POINTS = f"() => ({LINE_POINTS})('loss')"


def curve_points(page):
    """``[points of A's loss curve, points of B's]`` as the page draws them."""
    return line_points(page, "loss", ("A:", "B:"))


def sales_csv(n=120, period=12):
    rng = np.random.default_rng(0)
    x = np.sin(2 * np.pi * np.arange(n) / period) + 0.2 * rng.normal(size=n)
    return ("month;sales\n" + "\n".join(f"{i};{v:.5f}" for i, v in enumerate(x))).encode()


def choose_file(page, name, content, mime="text/csv"):
    """What a user does in the file dialog: the upload's input gets one file."""
    page.locator(".bpttviz-upload input[type=file]").set_input_files(
        files=[{"name": name, "mimeType": mime, "buffer": content}])


@in_browser
def test_upload_a_csv_train_on_it_then_a_bad_file_is_refused(page, server, artifacts):
    open_lesson(page, server, PAGE, PAGE_QUICK)
    panel = page.locator(".bpttviz-your-data")
    expect(panel).to_be_hidden()
    page.locator(".bpttviz-control-task select").select_option(label="Your data")
    expect(panel).to_be_visible()
    expect(page.locator(MESSAGE)).to_contain_text("Choose a file")

    before = drawn(page)
    choose_file(page, "sales.csv", sales_csv())
    expect(page.locator(MESSAGE)).to_contain_text("Read 'sales.csv': 120 values in column "
                                                  "'sales'")
    # The column menu offers the numeric columns, the series (not its time axis) chosen.
    column = page.locator(".bpttviz-upload-column select")
    expect(column).to_be_visible()
    assert column.locator("option").all_inner_texts() == ["month", "sales"]
    expect(column.locator("option:checked")).to_have_text("sales")
    # The preview is drawn in the page, every value of the column.
    page.wait_for_function("() => +document.querySelector('.bpttviz-upload-preview')"
                           "?.dataset.drawn >= 1")
    wait_status(page, "updated")
    assert "T = 24 steps" in page.locator(".bpttviz-readout").inner_text()
    assert "cannot carry your data" in page.locator(".bpttviz-link").inner_text()
    assert drawn(page)["memory"] > before["memory"]          # the network of the new data
    page.locator(".bpttviz-app").screenshot(path=str(artifacts / "04_training-your-data.png"))

    # Train: both curves are drawn, one point per update.
    loss_before = drawn(page)["loss"]
    page.locator(".bpttviz-start").click()
    wait_status(page, "trained", timeout=120_000)
    page.wait_for_function(f"() => Object.values(({CURVE_POINTS})()).slice(0, 2)"
                           ".every(n => n === 60)")
    assert curve_points(page) == [60, 60] and drawn(page)["loss"] > loss_before
    trained = drawn(page)

    # A bad file: one message, the API's words, and nothing else changes.
    choose_file(page, "bad.csv", b"sales\n2\n3\noops\n" + b"5\n" * 20)
    message = page.locator(MESSAGE)
    expect(message).to_contain_text("Could not read 'bad.csv'")
    text = message.inner_text()
    assert "'oops' at row 4, column A ('sales', column=0)" in text
    assert "Nothing changed: the lesson still uses 'sales.csv', column 'sales'" in text
    assert page.locator(".bpttviz-error").count() == 1
    page.locator(".bpttviz-your-data").screenshot(
        path=str(artifacts / "04_training-your-data-refused.png"))
    page.wait_for_timeout(500)                        # what a wrong update would have sent
    assert drawn(page) == trained
    assert curve_points(page) == [60, 60]
    expect(page.locator(".bpttviz-control-task select option:checked")).to_have_text("Your data")
    assert page.js_errors == []


@in_browser
def test_the_upload_panel_passes_axe(page, server):
    open_lesson(page, server, PAGE, PAGE_QUICK)
    page.locator(".bpttviz-control-task select").select_option(label="Your data")
    choose_file(page, "sales.csv", sales_csv())
    expect(page.locator(".bpttviz-upload-column select")).to_be_visible()
    wait_status(page, "updated")
    assert blocking_violations(page) == []
