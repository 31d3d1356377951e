"""Every page of the application, in zh-CN and in English, at desktop and phone size, with no
untranslated text: no vue-i18n "Not found 'x' key" warning, no raw key ("my.title") on screen, no
Chinese in an English page's menu and headings, Chinese headings on a zh-CN page.

The pages come from the application's own router (read in the browser), so a new page is walked
as soon as it is routed; a new route with a parameter needs its record named in RECORDS below."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import pytest

from tests.web.conftest import DESKTOP, PHONE
from tests.web.world import USERS

pytestmark = pytest.mark.embedded

LOCALES = Path(__file__).resolve().parents[2] / "web" / "src" / "locales"
NAMESPACES = sorted({p.stem for p in LOCALES.glob("*/*.json")})
# A key shown instead of its text: "<page file>.<key>" (keys are read as "<page>.<key>").
RAW_KEY = re.compile(r"(?<![\w.])(?:%s)\.[a-zA-Z][\w.]*" % "|".join(map(re.escape, NAMESPACES)), re.ASCII)
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# Names of people and units are data, not texts: they stay as written in either language.
DATA_WORDS = [name for name, _, _ in USERS.values()] + ["城区支队", "一大队", "二大队", "采集站"]
WALKERS = ("010203", "020304")  # an officer and a case handler: every page either may open
# Then a supervisor, an auditor and the admin, each only for the pages nobody before them could
# open (supervision pages; the audit page; administration).
EXTRA_WALKERS = ("030405", "040506", "admin")
HEADINGS = ("h1, h2, h3, h4, .page-title, th, .el-menu-item, .el-sub-menu__title, .el-result__title, "
            ".el-card__header, .el-tabs__item, .el-form-item__label, .el-step__title, .el-dialog__title, "
            ".el-drawer__title, .el-descriptions__label")

ROUTES_JS = """() => {
  const router = document.querySelector('#app').__vue_app__.config.globalProperties.$router;
  return router.getRoutes().filter((r) => r.name && !r.redirect).map((r) => ({
    name: String(r.name), path: r.path, roles: r.meta.roles ?? null, public: !!r.meta.public,
    params: (r.path.match(/:\\w+/g) ?? []).map((p) => p.slice(1)) }));
}"""
RESOLVE_JS = """([name, params]) => document.querySelector('#app').__vue_app__.config.globalProperties
  .$router.resolve({ name, params }).href"""
VISIBLE_TEXTS_JS = """(selector) => [...document.querySelectorAll(selector)]
  .filter((e) => e.offsetParent !== null || getComputedStyle(e).position === 'fixed')
  .map((e) => e.innerText.trim()).filter((t) => t)"""


def _keys(tree: dict, prefix: str = "") -> dict[str, object]:
    out = {}
    for k, v in tree.items():
        out.update(_keys(v, f"{prefix}{k}.") if isinstance(v, dict) else {prefix + k: v})
    return out


def test_every_text_is_written_in_both_languages():
    zh, en = LOCALES / "zh-CN", LOCALES / "en"
    assert sorted(p.name for p in zh.glob("*.json")) == sorted(p.name for p in en.glob("*.json"))
    for file in zh.glob("*.json"):
        a, b = _keys(json.loads(file.read_text())), _keys(json.loads((en / file.name).read_text()))
        assert sorted(a) == sorted(b), f"{file.name}: only in zh-CN {sorted(set(a) - set(b))}, " \
                                       f"only in en {sorted(set(b) - set(a))}"
        for key in a:
            assert str(a[key]).strip() and str(b[key]).strip(), f"{file.name}: {key} is empty"
            assert CJK.search(str(a[key])) or not re.search(r"\b[a-z]{4,}\b", str(a[key])), \
                f"{file.name}: {key} is not written in Chinese: {a[key]!r}"
            assert not CJK.search(str(b[key])), f"{file.name}: {key} has Chinese in English: {b[key]!r}"


@pytest.fixture(scope="module")
def records(web_world):
    """A record for each route that takes one: 010203's first clip and a case 020304 made."""
    http = web_world.http
    r = http.post("/api/v1/cases", headers=web_world.headers("020304"),
                  json={"case_no": "WALK-" + uuid.uuid4().hex[:6].upper(), "case_type": "accident",
                        "title": "Walk through the pages"})
    assert r.status_code == 201, r.text
    clip = next(r for r in web_world.recordings["010203"] if r["original_filename"].endswith(".mp4"))
    draw = http.post("/api/v1/reviews/draws", headers=web_world.headers("030405"),
                     json={"date_from": "2026-11-20", "date_to": "2026-11-20", "per_officer": 1, "seed": 1})
    assert draw.status_code == 201 and draw.json()["entries"], draw.text
    return {"recording": {"id": str(clip["id"])}, "case": {"id": str(r.json()["id"])},
            "review-item": {"drawId": str(draw.json()["id"]), "itemId": str(draw.json()["entries"][0]["id"])},
            "not-found": {"rest": ["no", "such", "page"]}}


def _settle(page) -> None:
    try:
        page.wait_for_load_state("networkidle", timeout=15000)
    except Exception:  # noqa: BLE001 — a playing video may keep the network busy; the checks below still run
        pass
    try:
        page.wait_for_function("!document.querySelector('.el-skeleton, .el-loading-mask')", timeout=10000)
    except Exception:  # noqa: BLE001
        pass
    page.wait_for_timeout(300)


def _check(page, pages, language: str, label: str, before: int, failures: list[str]) -> None:
    _settle(page)
    failures += [f"{label}: {p}" for p in pages.problems[before:]]
    area = page.locator("main").first if page.locator("main").count() else page.locator("body")
    text = area.inner_text()
    for raw in sorted(set(RAW_KEY.findall(text))):
        failures.append(f"{label}: raw key on screen: {raw}")
    headings = page.evaluate(VISIBLE_TEXTS_JS, HEADINGS)
    if language == "en":
        for h in headings:
            for word in DATA_WORDS:
                h = h.replace(word, "")
            if CJK.search(h):
                failures.append(f"{label}: Chinese in an English heading or menu: {h!r}")
    elif not any(CJK.search(h) for h in page.evaluate(VISIBLE_TEXTS_JS, "h1, h2, h3, .page-title, .el-result__title")):
        failures.append(f"{label}: no Chinese heading on a zh-CN page: {headings[:5]}")


# Each language and each viewport once (every other browser test already works in zh-CN on the
# desktop): the four pairs cost three minutes of CI's two cores for little more.
@pytest.mark.parametrize("language,viewport", [("zh-CN", PHONE), ("en", DESKTOP)], ids=["zh-CN-phone", "en-desktop"])
def test_every_page_renders_translated(pages, web_world, records, language, viewport):
    size = "desktop" if viewport is DESKTOP else "phone"
    failures: list[str] = []
    page = pages.open(viewport=viewport, language=language)
    before = len(pages.problems)
    page.goto("/login")
    routes = page.evaluate(ROUTES_JS)
    names = {r["name"] for r in routes}
    assert {"login", "my", "library", "recording", "cases", "case", "not-found"} <= names, names
    _check(page, pages, language, "login", before, failures)
    pages.shot(page, f"walk-{language}-{size}-login")
    walked = {"login"}
    for police_id in WALKERS + EXTRA_WALKERS:
        role = "admin" if police_id == "admin" else USERS[police_id][1]
        page = pages.open(police_id, viewport=viewport, language=language)
        for route in routes:
            if route["public"] or (route["roles"] and role not in route["roles"]):
                continue
            if route["name"] == "case" and role == "officer":
                continue  # open to all roles, but an officer reads a case only with a grant (test_access_requests)
            if police_id in EXTRA_WALKERS and route["name"] in walked:
                continue
            missing = [p for p in route["params"] if p not in records.get(route["name"], {})]
            assert not missing, f"route {route['name']} ({route['path']}) takes {missing}: name a record for it " \
                                f"in the records fixture of {__name__}"
            href = page.evaluate(RESOLVE_JS, [route["name"], records.get(route["name"], {})])
            before = len(pages.problems)
            page.goto(href)
            label = f"{language} {size} {police_id} {route['name']} {href}"
            if route["name"] != "not-found":
                assert page.get_by_test_id("not-found").count() == 0, f"{label}: the walk ended on 'not found'"
            _check(page, pages, language, label, before, failures)
            pages.shot(page, f"walk-{language}-{size}-{police_id}-{route['name']}")
            walked.add(route["name"])
    assert walked == names, f"pages no walker may open: {names - walked}"
    assert not failures, "\n".join(dict.fromkeys(failures))
