"""The words Samizdat itself puts in a book, in the book's language.

A Russian text's colophon must not say "Colophon". Each label is looked up by the
manuscript's `lang` (its primary subtag: `pt-BR` -> `pt`); a language not in the
table gets English.
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


def labels(lang):
    """{field: label} for language tag `lang` (English for a language not in LABELS)."""
    primary = str(lang or "").split("-")[0].lower()
    return dict(zip(FIELDS, LABELS.get(primary, LABELS["en"])))
