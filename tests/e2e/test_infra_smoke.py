"""The browser set-up itself works: Debian chromium launches, renders Chinese, takes screenshots."""


def test_chromium_renders_chinese_and_screenshots(page, screenshot):
    page.set_content("<html><body><h1>你好</h1></body></html>")

    assert page.inner_text("h1") == "你好"
    path = screenshot(page, "infra-smoke")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
