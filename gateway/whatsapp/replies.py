"""What the bot says, in Russian by default and in English to users who write in English."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Reply:
    """One message to send: text, or a Graph API message object (``{"type": "interactive",
    …}``) with ``text`` kept as its readable record (the outbound row's ``body``)."""

    text: str
    message: dict[str, Any] | None = None


_CYRILLIC = re.compile(r"[А-Яа-яЁё]")
_LATIN = re.compile(r"[A-Za-z]")

HELP = {
    "ru": (
        "👋 Это ibbase — визитки прямо в CRM.\n"
        "Сфотографируйте визитку и пришлите фото сюда (можно PDF): я сохраню контакт и "
        "покажу, что прочитал; кнопками его можно подтвердить, исправить или удалить. "
        "Обе стороны визитки присылайте подряд (или с подписью «оборот»); подпись к фото "
        "сохраняется как заметка. Можно прислать и контакт из телефонной книги.\n\n"
        "Команды:\n/start, /help — эта справка\n/status — состояние системы\n"
        "/last — последний контакт\n/find ТЕКСТ — поиск по контактам\n"
        "/undo — удалить последний контакт\n/export — все ваши контакты файлом .vcf\n"
        "/lang ru|en — язык ответов\n/forget — удалить всё, что вы прислали"
    ),
    "en": (
        "👋 This is ibbase — business cards straight into your CRM.\n"
        "Take a photo of a business card and send it here (a PDF works too): I will store the "
        "contact and show what I read; its buttons confirm, fix or delete it. Send both sides "
        'of a card one after the other (or captioned "back"); a photo\'s caption is kept as '
        "a note. You can also share a contact from your phone book.\n\n"
        "Commands:\n/start, /help — this help\n/status — system status\n"
        "/last — your last contact\n/find TEXT — search your contacts\n"
        "/undo — delete your last contact\n/export — all your contacts as a .vcf file\n"
        "/lang ru|en — reply language\n/forget — delete everything you sent"
    ),
}
STATUS = {
    "ru": "📊 Статус\nВ очереди: {pending}\nРаспознавание визиток: {reader}\nКонтактов: {contacts}",
    "en": "📊 Status\nQueued: {pending}\nCard reader: {reader}\nContacts stored: {contacts}",
}
STATUS_BRIEF = {
    "ru": "📊 Статус\nРаспознавание визиток: {reader}",
    "en": "📊 Status\nCard reader: {reader}",
}
NOT_LISTED = {
    "ru": "Спасибо! Этот номер принимает визитки только от сотрудников компании.",
    "en": "Thanks! This number accepts business cards from the company's staff only.",
}
OVER_QUOTA = {
    "ru": "⏳ Вы прислали уже {limit} визиток за час. Пришлите эту чуть позже.",
    "en": "⏳ You have sent {limit} cards in the last hour. Please send this one a little later.",
}
READER_STATE = {"ru": ("готово", "недоступно"), "en": ("ready", "unavailable")}
TEXT_HINT = {
    "ru": "Пришлите фото визитки — я сохраню контакт. /help — справка.",
    "en": "Send a photo of a business card and I will store the contact. /help for help.",
}
UNSUPPORTED = {
    "ru": "Спасибо! Я понимаю фото визиток, контакты и команды /help и /status.",
    "en": "Thanks! I understand business-card photos, shared contacts and /help and /status.",
}
NOT_AN_IMAGE = {
    "ru": "Этот файл не открыть как визитку. Пришлите фото (JPEG, PNG, WebP, HEIC) или PDF.",
    "en": "I cannot open this file as a card. Send a photo (JPEG, PNG, WebP, HEIC) or a PDF.",
}
CARD_HEADER = {"ru": "✅ Визитка получена!", "en": "✅ Card received!"}
MERGED_HEADER = {
    "ru": "✅ Вторая сторона добавлена к визитке:",
    "en": "✅ Added to the card as its other side:",
}
CARD_BUTTONS = {
    "ru": {"confirm": "✅ Верно", "fix": "✏️ Исправить", "delete": "🗑 Удалить"},
    "en": {"confirm": "✅ Correct", "fix": "✏️ Fix", "delete": "🗑 Delete"},
}
UNCERTAIN_HINT = {
    "ru": "❓ — не уверен, проверьте.",
    "en": "❓ — not sure, please check.",
}
CARD_GONE = {
    "ru": "Этой визитки больше нет. Пришлите фото ещё раз или /last.",
    "en": "That card is gone. Send the photo again, or /last.",
}
CONFIRMED = {"ru": "👍 Контакт подтверждён.", "en": "👍 Contact confirmed."}
DELETED = {
    "ru": "🗑 Контакт удалён (фото: {photos}).",
    "en": "🗑 Contact deleted (photos: {photos}).",
}
FIELDS = {"ru": "Поля", "en": "Fields"}
FIELD_BUTTON = {"ru": "Выбрать поле", "en": "Choose a field"}
FIELD_NAMES = {
    "ru": {
        "name": "Имя",
        "title": "Должность",
        "company": "Компания",
        "phones": "Телефон",
        "emails": "E-mail",
        "websites": "Сайт",
        "address": "Адрес",
        "fax": "Факс",
        "note": "Заметка",
    },
    "en": {
        "name": "Name",
        "title": "Title",
        "company": "Company",
        "phones": "Phone",
        "emails": "E-mail",
        "websites": "Website",
        "address": "Address",
        "fax": "Fax",
        "note": "Note",
    },
}
FIX_PROMPT = {
    "ru": (
        "✏️ Что исправить? Выберите поле или напишите, например:\n"
        "телефон +7 916 123-45-67\nкомпания ACME"
    ),
    "en": "✏️ What should I fix? Pick a field, or write e.g.:\nphone +1 415 555 0100\ncompany ACME",
}
SEND_VALUE = {"ru": "Пришлите новое значение: {field}", "en": "Send the new value: {field}"}
FIX_REFUSED = {"ru": "⚠️ Не сохранено: {reason}", "en": "⚠️ Not saved: {reason}"}
FIXED = {"ru": "✏️ Исправлено:", "en": "✏️ Fixed:"}
UNCHANGED = {"ru": "Без изменений:", "en": "Nothing changed:"}
NO_CONTACTS = {"ru": "Контактов пока нет.", "en": "No contacts yet."}
LAST_HEADER = {"ru": "🗂 Последний контакт:", "en": "🗂 Your last contact:"}
UNDONE = {
    "ru": "↩️ Удалён последний контакт: {name} (фото: {photos}).",
    "en": "↩️ Deleted your last contact: {name} (photos: {photos}).",
}
FIND_USAGE = {"ru": "Напишите, что искать: /find Иванов", "en": "Say what to look for: /find Smith"}
FOUND_NONE = {"ru": "Ничего не найдено: «{query}».", "en": 'Nothing found for "{query}".'}
FOUND = {"ru": "🔎 Найдено: {total} (показаны {shown})", "en": "🔎 Found {total} (showing {shown})"}
LANGS = ("ru", "en")
LANG_USAGE = {"ru": "Язык: /lang ru или /lang en", "en": "Language: /lang ru or /lang en"}
LANG_SET = {"ru": "Готово: отвечаю по-русски.", "en": "Done: I will reply in English."}
FORGOTTEN = {
    "ru": "🧹 Удалено всё, что вы прислали: контактов {contacts}, фото {photos}.",
    "en": "🧹 Deleted everything you sent: {contacts} contacts, {photos} photos.",
}
EXPORT_CAPTION = {"ru": "📇 Ваши контакты: {count}", "en": "📇 Your contacts: {count}"}
CONTACT_HEADER = {"ru": "✅ Контакт сохранён!", "en": "✅ Contact saved!"}
NOTHING_READ = {
    "ru": (
        "⚠️ Не удалось прочитать визитку: на фото не нашлось ни текста, ни QR-кода. "
        "Фото сохранено. Попробуйте снять визитку ближе, ровно и при хорошем свете."
    ),
    "en": (
        "⚠️ I could not read this card: no text or QR code was found. The photo is kept. "
        "Try again closer, straight on and in good light."
    ),
}
BAD_IMAGE = {
    "ru": "⚠️ Не удалось открыть изображение ({reason}). Пришлите фото ещё раз.",
    "en": "⚠️ I could not open this image ({reason}). Please send the photo again.",
}
MEDIA_FAILED = {
    "ru": "⚠️ Не удалось получить фото ({reason}). Пришлите его ещё раз.",
    "en": "⚠️ I could not fetch the photo ({reason}). Please send it again.",
}
FAILED = {
    "ru": (
        "⚠️ Не удалось обработать это сообщение. Мы уже разбираемся; "
        "попробуйте прислать его ещё раз чуть позже."
    ),
    "en": (
        "⚠️ Sorry, I could not process this message. We are looking into it; "
        "please try sending it again a little later."
    ),
}

_FIELD_LINES = (
    ("name", "👤 {}"),
    ("title", "💼 {}"),
    ("company", "🏢 {}"),
    ("phones", "📞 {}"),
    ("fax", "📠 {}"),
    ("emails", "✉️ {}"),
    ("websites", "🌐 {}"),
    ("address", "📍 {}"),
)


def detect_lang(text: str) -> str | None:
    """'ru' or 'en' from the script of the words, or None when there are no letters."""
    words = " ".join(w for w in text.split() if not w.startswith("/"))
    if _CYRILLIC.search(words):
        return "ru"
    if _LATIN.search(words):
        return "en"
    return None


def describe_fields(fields: dict[str, Any], *, uncertain: Collection[str] = ()) -> str:
    """One line per field with a value; fields in ``uncertain`` end with ❓."""
    lines = []
    for key, template in _FIELD_LINES:
        value = fields.get(key)
        if isinstance(value, list):
            value = ", ".join(value)
        if value:
            lines.append(template.format(value) + (" ❓" if key in uncertain else ""))
    return "\n".join(lines)


def clip(text: str, limit: int = 4096) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
