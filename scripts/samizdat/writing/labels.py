"""The words Samizdat itself puts in a book, in the book's language.

A Russian text's colophon must not say "Colophon". Each label is looked up by the
manuscript's `lang` (its primary subtag: `pt-BR` -> `pt`; Chinese by its script); a
language not in the tables gets English.

LABELS gives every label, in the languages the project wrote them for. CONTENTS gives
the contents' title only, in further languages: pandoc 3.9's own translations
(`pandoc --print-default-data-file translations/<lang>.yaml`, key Contents, what its
LaTeX and EPUB writers print), copied as they are. Their other labels are English
until a source for them is found.
"""

LABELS = {
    "en": ("Colophon", "Contents", "Cover", "Cover: {title}, by {author}",
           "Start of the text", "Back to the text", "Title page"),
    "de": ("Impressum", "Inhalt", "Umschlag", "Umschlag: {title}, von {author}",
           "Beginn des Textes", "Zurück zum Text", "Titelseite"),
    "fr": ("Colophon", "Table des matières", "Couverture", "Couverture : {title}, de {author}",
           "Début du texte", "Retour au texte", "Page de titre"),
    "es": ("Colofón", "Índice", "Cubierta", "Cubierta: {title}, de {author}",
           "Inicio del texto", "Volver al texto", "Portada"),
    "it": ("Colophon", "Indice", "Copertina", "Copertina: {title}, di {author}",
           "Inizio del testo", "Torna al testo", "Frontespizio"),
    "pt": ("Colofão", "Sumário", "Capa", "Capa: {title}, de {author}",
           "Início do texto", "Voltar ao texto", "Página de rosto"),
    "ru": ("Выходные данные", "Содержание", "Обложка", "Обложка: {title}. {author}",
           "Начало текста", "Вернуться к тексту", "Титульный лист"),
    "el": ("Κολοφώνας", "Περιεχόμενα", "Εξώφυλλο", "Εξώφυλλο: {title}, {author}",
           "Αρχή του κειμένου", "Επιστροφή στο κείμενο", "Σελίδα τίτλου"),
    "fa": ("شناسنامه", "فهرست", "جلد", "جلد: {title}، {author}",
           "آغاز متن", "بازگشت به متن", "صفحهٔ عنوان"),
    "ar": ("بيانات النشر", "المحتويات", "الغلاف", "الغلاف: {title}، {author}",
           "بداية النص", "العودة إلى النص", "صفحة العنوان"),
    "he": ("קולופון", "תוכן העניינים", "כריכה", "כריכה: {title}, {author}",
           "תחילת הטקסט", "חזרה לטקסט", "עמוד השער"),
}
FIELDS = ("colophon", "contents", "cover", "cover_alt", "start", "back", "title_page")
# pandoc 3.9, data/translations/<key>.yaml, "Contents" (test_labels checks each against
# the pandoc the build runs). Tamil's is உள்ளே ("inside"), as pandoc has it.
CONTENTS = {
    "am": "ይዘት", "bn": "সূচীপত্র", "bo": "དཀར་ཆག།", "hi": "अनुक्रम", "hy": "Բովանդակություն",
    "ja": "目次", "ka": "შინაარსი", "km": "មាតិការ", "kn": "ವಿಷಯಗಳು", "ko": "차례",
    "lo": "ສາລະບານ", "ml": "ഉള്ളടക്കം", "pa": "ਸਮਗਰੀ", "si": "පටුන", "ta": "உள்ளே",
    "te": "విషయాలు", "th": "สารบัญ", "ur": "فہرست عنوانات", "vi": "Mục lục",
    "zh-Hans": "目录", "zh-Hant": "目錄",
}


def labels(lang):
    """{field: label} for language tag `lang`: LABELS's, else English with CONTENTS's
    title of the contents (English for a language in neither)."""
    key = _key(str(lang or ""))
    found = dict(zip(FIELDS, LABELS.get(key, LABELS["en"])))
    if key not in LABELS and key in CONTENTS:
        found["contents"] = CONTENTS[key]
    return found


def _key(lang):
    """The tables' key for a BCP 47 tag: its primary subtag, lower case; Chinese's
    script, as its font has it (zh-Hant, zh-TW, zh-HK: Traditional; else Simplified)."""
    primary = lang.split("-")[0].split("_")[0].lower()
    if primary == "zh":
        from .fontstack import cjk_face

        return "zh-Hant" if cjk_face(lang) in ("TC", "HK") else "zh-Hans"
    return primary
