"""What the bot says, in Russian by default and in English to users who write in English."""

from __future__ import annotations

import re
from typing import Any

_CYRILLIC = re.compile(r"[А-Яа-яЁё]")
_LATIN = re.compile(r"[A-Za-z]")

HELP = {
    "ru": (
        "👋 Это ibbase — визитки прямо в CRM.\n"
        "Сфотографируйте визитку и пришлите фото сюда: я сохраню контакт и отвечу, "
        "что прочитал. Можно прислать и контакт из телефонной книги.\n\n"
        "Команды:\n/start, /help — эта справка\n/status — состояние системы"
    ),
    "en": (
        "👋 This is ibbase — business cards straight into your CRM.\n"
        "Take a photo of a business card and send it here: I will store the contact and "
        "reply with what I read. You can also share a contact from your phone book.\n\n"
        "Commands:\n/start, /help — this help\n/status — system status"
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
    "ru": "Этот файл не изображение. Пришлите фото визитки (JPEG, PNG или WebP).",
    "en": "This file is not an image. Please send a photo of the card (JPEG, PNG or WebP).",
}
CARD_HEADER = "✅ Визитка получена!"
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


def describe_fields(fields: dict[str, Any]) -> str:
    lines = []
    for key, template in _FIELD_LINES:
        value = fields.get(key)
        if isinstance(value, list):
            value = ", ".join(value)
        if value:
            lines.append(template.format(value))
    return "\n".join(lines)


def card_reply(fields: dict[str, Any]) -> str:
    return f"{CARD_HEADER}\n{describe_fields(fields)}"


def clip(text: str, limit: int = 4096) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
