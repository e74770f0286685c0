"""The page at `/` in a real headless Chromium (selenium, system chromedriver): draw a stroke, predict, see bars.

Skips where no browser is installed (Debian: apt-get install -y chromium chromium-driver).
"""

import re
import shutil
import urllib.request

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from kerasmodels import serving  # noqa: E402
from kerasmodels.serving.runtimes import KerasRuntime  # noqa: E402

CHROMEDRIVER = shutil.which("chromedriver")
BROWSER = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)


class RecordingRuntime(KerasRuntime):
    """Keeps the last batch the model saw: what the page sent after downsampling."""

    last_batch = None

    def predict(self, batch):
        self.last_batch = np.asarray(batch)
        return super().predict(batch)


def test_page_is_self_contained(tmp_path):
    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(10)], name="digits")
    with serving.make_server(None, model=model, warmup=False) as server:
        with urllib.request.urlopen(server.url + "/", timeout=30) as response:
            assert response.headers["Content-Type"].startswith("text/html")
            html = response.read().decode()
    assert "<canvas" in html and "/v1/models/digits:predict" in html
    assert not re.search(r"""(src|href)\s*=|url\(|@import|https?://""", html)  # nothing loaded from elsewhere


def test_page_says_so_for_a_model_that_takes_neither_images_nor_text():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)], name="features")
    html = serving.page.render(serving.Predictor(model, class_names=["</script><b>x"]))
    assert '"kind": "other"' in html and "<\\/script>" in html  # class names cannot close the script element


@pytest.fixture(scope="module")
def browser():
    if CHROMEDRIVER is None or BROWSER is None:
        pytest.skip("no Chromium and chromedriver installed (Debian: apt-get install -y chromium chromium-driver)")
    webdriver = pytest.importorskip("selenium.webdriver", reason="pip install selenium")
    options = webdriver.ChromeOptions()
    options.binary_location = BROWSER
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--window-size=1000,900",
                 # Anything but loopback (bypassed by default) goes to a closed port: the page loads nothing else.
                 "--proxy-server=http://127.0.0.1:9"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=webdriver.ChromeService(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def bars(driver):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#bars .bar")
                                    or d.find_element(By.ID, "status").text)
    assert not driver.find_element(By.ID, "status").text
    rows = driver.find_elements(By.CSS_SELECTOR, "#bars .bar")
    return [(row.find_element(By.CLASS_NAME, "name").text, float(row.find_element(By.CLASS_NAME, "value").text[:-1]))
            for row in rows], [row for row in rows if "top" in row.get_attribute("class")]


@pytest.mark.slow
def test_draw_a_digit_and_see_the_probabilities(browser):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Conv2D(4, 3, activation="relu"),
                              keras.layers.Flatten(), keras.layers.Dense(10)], name="digits")
    runtime = RecordingRuntime(model)
    with serving.make_server(None, model=runtime, warmup=False) as server:
        browser.get(server.url + "/")
        pad = browser.find_element(By.ID, "pad")
        # A vertical stroke down the middle of the 280x280 pad: a "1".
        ActionChains(browser).move_to_element_with_offset(pad, 0, -90).click_and_hold() \
            .move_by_offset(0, 60).move_by_offset(0, 60).move_by_offset(0, 60).release().perform()
        browser.find_element(By.ID, "predict-image").click()
        shown, top = bars(browser)
    image = runtime.last_batch
    assert image.shape == (1, 28, 28, 1) and image.max() > 0.9  # white stroke, downsampled to the model's size
    column = image[0, :, :, 0].mean(axis=0)
    assert column[12:16].mean() > 5 * column[:6].mean()  # the ink is in the middle columns, where it was drawn
    logits = np.asarray(model.predict_on_batch(image), np.float64)[0]
    expected = np.exp(logits - logits.max())
    expected /= expected.sum()
    assert [name for name, _ in shown] == [str(k) for k in range(10)]
    np.testing.assert_allclose([value for _, value in shown], 100 * expected, atol=0.06)  # shown to 0.1 %
    assert len(top) == 1 and top[0].get_attribute("data-cls") == str(expected.argmax())


@pytest.mark.slow
def test_type_a_text_and_see_the_probabilities(browser):
    from selenium.webdriver.common.by import By

    vectorize = keras.layers.TextVectorization(max_tokens=50, output_sequence_length=8)
    vectorize.adapt(["a good film", "a bad film", "awful acting"])
    inputs = keras.Input((), dtype="string")
    outputs = keras.layers.Dense(2)(keras.layers.GlobalAveragePooling1D()(keras.layers.Embedding(50, 4)(
        vectorize(inputs))))
    model = keras.Model(inputs, outputs, name="reviews")
    with serving.make_server(None, model=model, class_names=["negative", "positive"]) as server:
        browser.get(server.url + "/")
        browser.find_element(By.ID, "text").send_keys("a good film")
        browser.find_element(By.ID, "predict-text").click()
        shown, top = bars(browser)
    assert [name for name, _ in shown] == ["negative", "positive"]
    assert abs(sum(value for _, value in shown) - 100) < 0.2 and len(top) == 1
