"""Line breaking and justification by each script's rules (issue 26), read back from the
built PDF: Chinese, Japanese and Korean break between characters, by the kinsoku rules
Pango gives them, and the first two are justified between characters; Thai, Lao, Khmer
and Burmese break at words though they write no space between them (Pango finds Thai's,
wordbreak.mark_words the others' with ICU's dictionaries) and are justified at word
ends; Amharic breaks after its word separator ፡; Tibetan breaks after its tsheg ་ and
is justified there. A note's call in any of them is glued
to the word before it, not to the paragraph back to its last space (which ran off the
page: P007, then broken anywhere: P008). Nothing lies past the text's right edge.

The texts: the Universal Declaration of Human Rights (its preamble's first clause and
articles 1 and 2, United Nations translations, shortened), with a note in each; the
first Japanese and Chinese paragraphs are set so a 、 or ， would open their second line
were there no kinsoku rule. Each is built with the script font `make` installs
(fontstack), skipped with the package to install when it is missing."""

import logging
import re

import pypdfium2
import pytest

from conftest import ROOT
from samizdat.outputs import pdf
from samizdat.source import manuscript
from samizdat.writing import fontstack, wordbreak
from samizdat.weasy import LineBox, TextBox, descendants

NOTE = "[^1]"
TEXTS = {
    "zh-Hans": ("世界人权宣言", [
        # 31 characters fill the first line: ， comes 32nd
        "鉴于对人类家庭所有成员的固有尊严及其平等的和不可移的权利的承认，乃是世界自由、"
        "正义与和平的基础" + NOTE + "，鉴于对人权的无视和侮蔑已发展为野蛮暴行，这些暴行玷污了人类的良心，"
        "而一个人人享有言论和信仰自由并免予恐惧和匮乏的世界的来临，已被宣布为普通人民的最高愿望。",
        "第一条：人人生而自由，在尊严和权利上一律平等。他们赋有理性和良心，并应以兄弟关系的精神"
        "相对待。第二条：人人有资格享有本宣言所载的一切权利和自由，不分种族、肤色、性别、语言、"
        "宗教、政治或其他见解、国籍或社会出身、财产、出生或其他身分等任何区别。"]),
    "ja": ("世界人権宣言", [
        # 31 characters fill the first line: 、 comes 32nd
        "人類社会のすべての構成員の固有の尊厳と平等で譲ることのできない、権利とを承認することは"
        "、世界における自由、正義及び平和の基礎であるので、人権の無視及び軽侮が、人類の良心を"
        "踏みにじった野蛮行為をもたらし、言論及び信仰の自由が受けられ、恐怖及び欠乏のない世界の"
        "到来が、一般の人々の最高の願望として宣言されたので" + NOTE + "、",
        "第一条　すべての人間は、生まれながらにして自由であり、かつ、尊厳と権利とについて平等"
        "である。人間は、理性と良心とを授けられており、互いに同胞の精神をもって行動しなければ"
        "ならない。「ひらがな」と（カタカナ）の混じった文も、改行の規則に従う。"]),
    "ko": ("세계인권선언", [
        "모든 인류 구성원의 천부의 존엄성과 동등하고 양도할 수 없는 권리를 인정하는 것이 세계의 "
        "자유, 정의 및 평화의 기초이며, 인권에 대한 무시와 경멸이 인류의 양심을 격분시키는 "
        "만행을 초래하였으며" + NOTE + ", 인간이 언론과 신앙의 자유, 그리고 공포와 결핍으로부터의 "
        "자유를 누릴 수 있는 세계의 도래가 모든 사람들의 지고한 열망으로서 천명되어 왔다.",
        "제1조 모든 인간은 태어날 때부터 자유로우며 그 존엄과 권리에 있어 동등하다. 인간은 "
        "천부적으로 이성과 양심을 부여받았으며 서로 형제애의 정신으로 행동하여야 한다."]),
    "th": ("ปฏิญญาสากลว่าด้วยสิทธิมนุษยชน", [
        "โดยที่การยอมรับนับถือเกียรติศักดิ์ประจำตัวและสิทธิเท่าเทียมกันและไม่อาจโอนให้แก่กันได้"
        "ของสมาชิกทั้งปวงแห่งครอบครัวมนุษย์" + NOTE + "เป็นหลักมูลเหตุแห่งอิสรภาพความยุติธรรม"
        "และสันติภาพในโลก",
        "มนุษย์ทั้งหลายเกิดมามีอิสระและเสมอภาคกันในเกียรติศักดิ์และสิทธิ ต่างมีเหตุผลและมโนธรรม "
        "และควรปฏิบัติต่อกันด้วยเจตนารมณ์แห่งภราดรภาพ"]),
    "km": ("សេចក្តីប្រកាសជាសកលស្តីពីសិទ្ធិមនុស្ស", [
        "មនុស្សទាំងអស់កើតមកមានសេរីភាពនិងសមភាពក្នុងផ្នែកសេចក្ដីថ្លៃថ្នូរនិងសិទ្ធិ" + NOTE + "។ "
        "មនុស្សមានវិចារណញ្ញាណនិងសតិសម្បជញ្ញៈហើយត្រូវប្រព្រឹត្ដចំពោះគ្នាទៅវិញទៅមក"
        "ក្នុងស្មារតីភាតរភាពជាបងប្អូន។"]),
    "lo": ("ຖະແຫລງການສາກົນວ່າດ້ວຍສິດທິມະນຸດ", [
        "ມະນຸດທັງຫລາຍເກີດມາມີກຽດສັກສີແລະສິດທິເສລີພາບແລະສະເໝີພາບເທົ່າທຽມກັນ" + NOTE + ". "
        "ທຸກໆຄົນມີເຫດຜົນແລະຄວາມຄິດຄວາມເຫັນສ່ວນຕົວຂອງໃຜຂອງມັນແຕ່ວ່າມະນຸດທຸກໆຄົນ"
        "ຄວນປະພຶດຕົນຕໍ່ກັນສັນຖານພີ່ນ້ອງ."]),
    "my": ("လူ့အခွင့်အရေး ကမ္ဘာ့ကြေညာစာတမ်း", [
        "လူတိုင်းသည်တူညီလွတ်လပ်သောဂုဏ်သိက္ခာဖြင့်လည်းကောင်း၊ တူညီလွတ်လပ်သောအခွင့်အရေးများဖြင့်"
        "လည်းကောင်း၊ မွေးဖွားလာသူများဖြစ်သည်" + NOTE + "။ ထိုသူတို့၌ပိုင်းခြားဝေဖန်တတ်သောဉာဏ်နှင့်"
        "ကျင့်ဝတ်သိတတ်သောစိတ်တို့ရှိကြ၍ထိုသူတို့သည်အချင်းချင်းမေတ္တာထား၍ဆက်ဆံကျင့်သုံးသင့်၏။"]),
    "am": ("የሰብአዊ መብቶች ዓለም አቀፍ መግለጫ", [
        "የሰው፡ልጅ፡ሁሉ፡ሲወለድ፡ነጻና፡በክብርና፡በመብትም፡እኩልነት፡ያለው፡ነው" + NOTE + "።፡የተፈጥሮ፡"
        "ማስተዋልና፡ሕሊና፡ስላለው፡አንዱ፡ሌላውን፡በወንድማማችነት፡መንፈስ፡መመልከት፡ይገባዋል።",
        "የሰው ልጅ ሁሉ ሲወለድ ነጻና በክብርና በመብትም እኩልነት ያለው ነው። የተፈጥሮ ማስተዋልና ሕሊና ስላለው "
        "አንዱ ሌላውን በወንድማማችነት መንፈስ መመልከት ይገባዋል።"]),
    # Tibetan writes a tsheg (་) after each syllable and breaks a line after it; a line
    # holds a space or two (after a shad, །), or none (the third paragraph's first two)
    "bo": ("ཡོངས་ཁྱབ་གསལ་བསྒྲགས་འགྲོ་བ་མིའི་ཐོབ་ཐང༌།", [
        "༈ འགྲོ་བ་མིའི་ཁྱིམ་ཚང་ཁག་གི་ནང་མི་ཡོངས་ལ་རང་བཞིན་ཉིད་ནས་ཡོད་པའི་ཆེ་མཐོངས་དང་འདྲ་མཉམ། "
        "སུས་ཀྱང་འཕྲོག་ཏུ་མི་རུང་བའི་ཐོབ་ཐང་བཅས་ཀྱི་གནད་དོན་རྟོགས་པར་བྱེད་པ་ནི།" + NOTE + " "
        "འཛམ་གླིང་ནང་གི་རང་དབང་དང༌། དྲང་བདེན། ཞི་བདེ་བཅས་ཀྱི་རྣང་གཞི་ལྟེ་བ་ཡིན།",
        "འགྲོ་བ་མིའི་རིགས་རྒྱུད་ཡོངས་ལ་སྐྱེས་ཙམ་ཉིད་ནས་ཆེ་མཐོངས་དང༌། ཐོབ་ཐང་གི་རང་དབང་འདྲ་མཉམ་དུ་"
        "ཡོད་ལ། ཁོང་ཚོར་རང་བྱུང་གི་བློ་རྩལ་དང་བསམ་ཚུལ་བཟང་པོ་འདོན་པའི་འོས་བབས་ཀྱང་ཡོད། དེ་བཞིན་"
        "ཕན་ཚུན་གཅིག་གིས་གཅིག་ལ་བུ་སྤུན་གྱི་འདུ་ཤེས་འཛིན་པའི་བྱ་སྤྱོད་ཀྱང་ལག་ལེན་བསྟར་དགོས་པ་ཡིན༎",
        "རྒྱལ་ཁབ་ཁག་གི་དབར་མཛའ་མཐུན་གྱི་འབྲེལ་བ་ཡར་རྒྱས་གོང་འཕེལ་གཏོང་རྒྱུར་འབད་བརྩོན་ཆེ་བསྐྱེད་དགོས་"
        "པ་དེ་ནི་ཧ་ཅང་གལ་གནད་ཆེ་བ་ཞིག་ཡིན། མཉམ་སྦྲེལ་རྒྱལ་ཚོགས་ཀྱི་མི་མང་རྣམས་ཀྱི་རང་དབང་རྒྱ་ཆེའི་"
        "ཐོག་ནས་སྒྲིག་ཡིག་གི་གཞི་རྩའི་རང་དབང་ལ་བློ་མོས་གདེངས་འཁེལ་གྱིས་སྤྱི་ཚོགས་ཀྱི་འཕེལ་རྒྱས་ཡར་"
        "ཐོན་གཏོང་རྒྱུ་དང་འཚོ་བའི་ཆུ་ཚད་ཡར་འཕར་གཏོང་རྒྱུའི་ཐག་གཅོད་བྱས་ཡོད།"]),
}
TEXTS_ALL = ["".join(paragraphs).replace(NOTE, "") for _, paragraphs in TEXTS.values()]
NOTES = {"zh-Hans": "联合国大会1948年通过。", "ja": "国際連合総会で採択。",
         "ko": "국제연합 총회.", "th": "สมัชชาสหประชาชาติ", "km": "មហាសន្និបាតអង្គការសហប្រជាជាតិ",
         "lo": "ສະມັດຊາໃຫຍ່ສະຫະປະຊາຊາດ", "my": "ကုလသမဂ္ဂ", "am": "የተባበሩት፡መንግሥታት።",
         "bo": "མཉམ་སྦྲེལ་རྒྱལ་ཚོགས།"}
# Justified between characters or at word ends (linebreak.justification): a line other
# than its paragraph's last reaches the right edge.
JUSTIFIED = ("zh-Hans", "ja", "ko", "th", "km", "lo", "my", "am", "bo")
# Written without spaces, broken where ICU's dictionaries find a word's end.
BY_WORDS = ("th", "km", "lo", "my")
# Kinsoku: what no line may start or end with (closing and middle punctuation,
# iteration marks; opening brackets), as UAX 14 (CL, CP, EX, IS, NS; OP) has them.
NO_START = "、。，．・：；？！）」』】〕〉》ゝゞヽヾ々"
NO_END = "（「『【〔〈《"
# The right margin print.css gives every page (@page margin: ... 15mm ...)
RIGHT_MARGIN_PT = 15 / 25.4 * 72
SLACK = 1.0  # pt: as linebreak.OVERHANG


def script_of(lang):
    text = "".join(TEXTS[lang][1])
    return fontstack.scripts_in(text)[0]


def source(lang, folder):
    title, paragraphs = TEXTS[lang]
    path = folder / f"{lang}.md"
    path.write_text(f"---\ntitle: {title}\nauthor: UN\ndate: \"1948\"\nlang: {lang}\n"
                    f"rights: Public domain\nidentifier: urn:x-samizdat-test:{lang}\n---\n\n"
                    + "\n\n".join(paragraphs) + f"\n\n{NOTE}: {NOTES[lang]}\n",
                    encoding="utf-8")
    return path


class _Said(logging.Handler):
    def __init__(self):
        super().__init__()
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """{lang: (PDF path, WeasyPrint document, what the build said)}, each laid out on A5
    as `samizdat build` lays it out."""
    made = {}
    said = _Said()
    logger = logging.getLogger("samizdat")
    logger.addHandler(said)
    try:
        for lang in TEXTS:
            if fontstack.installed(script_of(lang)) is None:
                continue
            folder = tmp_path_factory.mktemp(lang)
            ms = manuscript.load(source(lang, folder))
            said.messages = []
            out = folder / f"{lang}.pdf"
            document = pdf.pdf(ms, out, page=pdf.A5)
            made[lang] = out, document, list(said.messages)
    finally:
        logger.removeHandler(said)
    return made


def needs(built, lang):
    """Skip unless `lang`'s script font is installed (`make` installs it as root)."""
    if lang not in built:
        script = script_of(lang)
        pytest.skip(f"{script.font} is not installed: install {script.package}")
    return built[lang]


PT_PER_PX = 0.75


def paragraphs_laid_out(document):
    """[[(page index, line text, top, bottom), ...] of each paragraph of the text], its
    lines from the layout, top and bottom in PDF points from the page's foot."""
    found = {}
    for index, page in enumerate(document.pages):
        height = page._page_box.margin_height() * PT_PER_PX
        for box in descendants(page._page_box):
            element = getattr(box, "element", None)
            if getattr(box, "element_tag", "") == "p" and element is not None \
                    and element.get("data-p"):
                lines = found.setdefault(int(element.get("data-p")), [])
                lines += [(index,
                           "".join(t.text for t in descendants(line) if isinstance(t, TextBox)),
                           height - line.position_y * PT_PER_PX,
                           height - (line.position_y + line.height) * PT_PER_PX)
                          for line in box.children if isinstance(line, LineBox)]
    # the text's own paragraphs, not the title page's nor the colophon's
    return [found[n] for n in sorted(found)
            if any(body_text(found[n][0][1]).strip()[:12] in p for p in TEXTS_ALL)]


def right_ends(path, paragraphs, *, ink=False):
    """[[right end of each line in the PDF] of each of `paragraphs` (paragraphs_laid_out)]
    and the page's width (pt): where its characters' advances end (pdfium's loose boxes:
    a justified line's end), or their ink (a mark's loose box is its advance in the
    font's table, which the shaping may have taken back: not where it is drawn)."""
    document = pypdfium2.PdfDocument(path)
    boxes = {}
    for index in {line[0] for paragraph in paragraphs for line in paragraph}:
        text = document[index].get_textpage()
        boxes[index] = [text.get_charbox(i, loose=not ink) for i in range(text.count_chars())
                        if text.get_text_range(i, 1).strip()]
    ends = []
    for paragraph in paragraphs:
        ends.append([max((right for left, bottom, right, top in boxes[index]
                          if low < (bottom + top) / 2 < high), default=None)
                     for index, _, high, low in paragraph])
    return ends, document[0].get_size()[0]


def body_text(line):
    """A laid out line's text as the reader has it: no zero width space, no note text
    (its call's number stays)."""
    return line.replace(wordbreak.ZWSP, "")


@pytest.mark.parametrize("lang", TEXTS)
def test_nothing_lies_past_the_right_edge(built, lang):
    path, document, said = needs(built, lang)
    ends, width = right_ends(path, paragraphs_laid_out(document), ink=True)
    edge = width - RIGHT_MARGIN_PT
    found = [end for paragraph in ends for end in paragraph]
    assert None not in found  # every laid out line is found in the PDF
    past = [round(end - edge, 1) for end in found if end > edge + SLACK]
    assert not past, f"lines past the right edge by (pt): {past}"
    assert not [m for m in said if m.startswith(("P007", "P008"))], said


@pytest.mark.parametrize("lang", TEXTS)
def test_each_paragraph_is_broken_into_lines(built, lang):
    _, document, _ = needs(built, lang)
    laid = paragraphs_laid_out(document)
    assert len(laid) == len(TEXTS[lang][1])
    assert all(len(lines) > 1 for lines in laid), [len(lines) for lines in laid]


@pytest.mark.parametrize("lang", JUSTIFIED)
def test_a_justified_line_reaches_the_right_edge(built, lang):
    """Every line but a paragraph's last ends within 1.5 pt of the edge in the PDF: not
    an em short, as WeasyPrint left Chinese lines, which have no space to widen."""
    path, document, _ = needs(built, lang)
    ends, width = right_ends(path, paragraphs_laid_out(document))
    edge = width - RIGHT_MARGIN_PT
    short = [round(edge - end, 1) for paragraph in ends for end in paragraph[:-1]
             if end < edge - 1.5]
    assert not short, f"justified lines short of the edge by (pt): {short}"


@pytest.mark.parametrize("lang", ("zh-Hans", "ja", "ko"))
def test_no_line_starts_or_ends_with_what_kinsoku_forbids(built, lang):
    _, document, _ = needs(built, lang)
    lines = [body_text(line[1]).strip() for paragraph in paragraphs_laid_out(document)
             for line in paragraph]
    starts = [line[:3] for line in lines if line and line[0] in NO_START]
    ends = [line[-3:] for line in lines if line and line[-1] in NO_END]
    assert not starts and not ends, (starts, ends)


@pytest.mark.parametrize("lang", ("zh-Hans", "ja"))
def test_the_set_up_punctuation_did_not_open_a_line(built, lang):
    """The first paragraph's 32nd character (、 or ，) would open its second line, were
    there no kinsoku rule (31 characters fill a line)."""
    _, document, _ = needs(built, lang)
    first, second = (body_text(line[1]) for line in paragraphs_laid_out(document)[0][:2])
    # Pango fits it on the first line (a Chinese comma takes half an em there), or takes
    # the character before it down with it
    assert (len(first) == 32 and first[-1] in NO_START) or \
        (len(first) == 30 and second[1] in NO_START), (first, second)
    assert second[0] not in NO_START


@pytest.mark.parametrize("lang", BY_WORDS)
def test_a_line_ends_where_a_word_ends(built, lang):
    """Each line of a paragraph but its last ends where ICU's dictionary puts a line
    break in the paragraph's text (or at a space): never inside a word."""
    if not wordbreak.available():
        pytest.skip("ICU (libicuuc) is not installed: install Debian's libicu72 or later")
    _, document, _ = needs(built, lang)
    inside = []
    for paragraph in paragraphs_laid_out(document):
        lines = [body_text(line[1]).strip() for line in paragraph]
        # the paragraph as written, its note's call the number the line shows
        text = next(p for p in TEXTS[lang][1] if p.startswith(lines[0][:12])) \
            .replace(NOTE, "1")
        breaks = set(wordbreak.line_breaks(text, lang))
        at = 0
        for line in lines[:-1]:
            while text[at].isspace():
                at += 1
            assert text.startswith(line, at), (line, text[at:at + len(line)])
            at += len(line)
            if at not in breaks and not text[at].isspace():
                inside.append(text[max(0, at - 6):at] + "|" + text[at:at + 6])
    assert not inside, f"lines ending inside a word: {inside}"


@pytest.mark.parametrize("lang", ("zh-Hans", "ja", "th", "am"))
def test_a_note_call_is_glued_to_its_last_word_only(built, lang):
    """The call's span holds a word (a character or two in Chinese), not the text back to
    the paragraph's last space."""
    _, document, _ = needs(built, lang)
    glued = [box for page in document.pages for box in descendants(page._page_box)
             if "samizdat-call" in (getattr(box, "element", None) is not None
                                    and box.element.get("class") or "")]
    assert glued
    words = {"".join(t.text for t in descendants(box) if isinstance(t, TextBox)
                     and not t.element_tag.endswith("::footnote-call"))
             for box in glued}
    longest = max(len(w.split("。")[0]) for w in words)
    assert longest <= 12, words


CALL = '<span class="samizdat-note" data-note="1">N.</span>'


@pytest.mark.parametrize("before, glued", [
    ("鉴于对人类家庭所有成员的固有尊严的承认。", "认。"),
    ("የሰው፡ልጅ፡ሁሉ፡ነው።", "ነው።"),
    ("the revolution.", "revolution."),  # a word of a spaced script: all of it, as before
])
def test_glue_calls_takes_the_last_word_by_the_scripts_rules(before, glued):
    from samizdat.outputs import printhtml

    if not wordbreak.available():
        pytest.skip("ICU (libicuuc) is not installed: install Debian's libicu72 or later")
    html = printhtml.glue_calls(f"<p>{before}{CALL}</p>", lang="zh")
    assert f'<span class="samizdat-call">{glued}{CALL}</span>' in html


def test_without_icu_words_are_not_marked_and_a_call_takes_one_character(monkeypatch, caplog):
    """W002 says once that ICU is missing; Khmer is left as it is (the overlong-word mend
    breaks it), a Chinese call takes the character before it."""
    import ctypes.util

    monkeypatch.setattr(ctypes.util, "find_library", lambda name: None)
    wordbreak._icu.cache_clear()
    try:
        with caplog.at_level(logging.WARNING, logger="samizdat"):
            assert wordbreak.mark_words("មនុស្សទាំងអស់កើតមក", "km") == "មនុស្សទាំងអស់កើតមក"
            assert wordbreak.word_start("的承认。", "zh") == 3
        assert [r.getMessage()[:4] for r in caplog.records] == ["W002"]
    finally:
        wordbreak._icu.cache_clear()


def test_lao_words_are_marked_and_a_repetition_mark_keeps_its_word():
    if not wordbreak.available():
        pytest.skip("ICU (libicuuc) is not installed: install Debian's libicu72 or later")
    marked = wordbreak.mark_words("ມະນຸດທັງຫລາຍທຸກໆຄົນ", "lo")
    assert marked.replace(wordbreak.ZWSP, "|") == "ມະນຸດ|ທັງ|ຫລາຍ|ທຸກໆ|ຄົນ"  # not |ໆ


def test_tibetan_is_marked_after_each_tsheg_and_shad_a_line_may_break_after():
    """A zero width space (where a justified line is widened) after each tsheg, shad and
    visarga a letter follows, with ICU or without: not after the non-breaking tsheg (༌),
    nor between a tsheg and the shad that closes its clause, nor after a shad's space."""
    marked = wordbreak.mark_words("༈ འགྲོ་བ་མིའི་ཐོབ་ཐང་ལ། དང༌། ཀྱང་ཡོད་།དེ་བཞིན། ཨོཾ་ཨཱཿཧཱུྃ", "bo")
    assert marked.replace(wordbreak.ZWSP, "|") == \
        "༈ འགྲོ་|བ་|མིའི་|ཐོབ་|ཐང་|ལ། དང༌། ཀྱང་|ཡོད་།|དེ་|བཞིན། ཨོཾ་|ཨཱཿ|ཧཱུྃ"
