"""The words Samizdat puts in a book, in the book's language (labels), by their source:
the project's own (LABELS) and pandoc's translations (CONTENTS, issue 26)."""

import re
import subprocess

import pytest

from samizdat.outputs import printhtml
from samizdat.source import manuscript, pandoc
from samizdat.writing import labels


def pandoc_contents(key):
    """The "Contents" of pandoc's translations/<key>.yaml, from the pandoc the build runs."""
    data = subprocess.run([pandoc.executable(), "--print-default-data-file",
                           f"translations/{key}.yaml"], capture_output=True, text=True,
                          check=True, timeout=60).stdout
    return re.search(r"^Contents: (.*)$", data, re.MULTILINE).group(1).strip()


@pytest.mark.parametrize("key", sorted(labels.CONTENTS))
def test_each_contents_title_is_pandocs_translation(key):
    assert labels.CONTENTS[key] == pandoc_contents(key)


def test_the_projects_own_labels_agree_with_pandoc_where_both_have_one():
    """Where the project wrote a language's labels, its contents title is pandoc's (no
    two sources disagree on one word), but German's and Italian's shorter ones."""
    same = [key for key in labels.LABELS if key not in ("en", "de", "it", "es", "pt")]
    assert {k: labels.labels(k)["contents"] for k in same} == \
        {k: pandoc_contents(k) for k in same}


def test_a_language_with_only_a_contents_title_gets_it_and_english_for_the_rest():
    words = labels.labels("hi")
    assert words["contents"] == "अनुक्रम"
    english = labels.labels("en")
    assert {k: v for k, v in words.items() if k != "contents"} == \
        {k: v for k, v in english.items() if k != "contents"}


def test_chinese_labels_follow_its_script():
    picks = {tag: labels.labels(tag)["contents"]
             for tag in ("zh", "zh-Hans", "zh-CN", "zh-Hant", "zh-TW", "zh-HK")}
    assert picks == {"zh": "目录", "zh-Hans": "目录", "zh-CN": "目录",
                     "zh-Hant": "目錄", "zh-TW": "目錄", "zh-HK": "目錄"}


def test_the_printed_contents_is_titled_in_the_books_language(tmp_path):
    source = tmp_path / "ko.md"
    source.write_text("---\ntitle: 세계인권선언\nauthor: 국제연합\ndate: 1948\nlang: ko\n"
                      "rights: Public domain\n---\n\n## 전문\n\n모든 인류 구성원.\n\n"
                      "## 제 1 조\n\n모든 인간은.\n\n## 제 2 조\n\n모든 사람은.\n",
                      encoding="utf-8")
    html = printhtml.print_html(manuscript.load(source))
    assert '<h1 class="contents-title">차례</h1>' in html and ">Contents<" not in html
