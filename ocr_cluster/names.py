"""Person names: is a line a name, and which word is the first, middle and last name."""

from __future__ import annotations

import re
from dataclasses import dataclass

_WORD = re.compile(
    r"^(?:[A-ZА-ЯЁ][a-zа-яё]+(?:[-'’][A-ZА-ЯЁa-zа-яё][a-zа-яё]*)*|[A-ZА-ЯЁ]{2,}(?:[-'’][A-ZА-ЯЁ]+)*)$"
)
_INITIAL = re.compile(r"^[A-ZА-ЯЁ]\.$")
_PATRONYMIC = re.compile(r"(?i)(вич|вна|ична|инична|ьич|оглы|кызы)$")
_RU_SURNAME = re.compile(
    r"(?i)(ов|ова|ев|ева|ёв|ёва|ин|ина|ын|ына|ский|ская|цкий|цкая|ой|ая|ых|их|ко|ук|юк|"
    r"ян|дзе|швили|ич|ман|ер)$"
)

# Common given names: enough to tell "Ирина Орлова" from "Добровольская Людмила".
RU_FIRST = frozenset(
    """александр алексей анатолий андрей антон аркадий арсений артём артем борис вадим
    валентин валерий василий виктор виталий владимир владислав всеволод вячеслав геннадий
    георгий герман глеб григорий даниил денис дмитрий евгений егор иван игорь илья кирилл
    константин лев леонид максим марк матвей михаил никита николай олег павел пётр петр
    роман руслан сергей семён семен станислав степан тимофей тимур фёдор федор филипп эдуард
    юрий ярослав александра алёна алена алина алла анастасия ангелина анна антонина валентина
    валерия варвара вера вероника виктория галина дарья диана ева евгения екатерина елена
    елизавета жанна зоя инна ирина карина кира кристина ксения лариса лидия любовь людмила
    маргарита марина мария милана надежда наталья наталия нина оксана олеся ольга полина
    раиса светлана софия софья тамара татьяна ульяна юлия яна""".split()
)
EN_FIRST = frozenset(
    """james john robert michael william david richard joseph thomas charles christopher
    daniel matthew anthony mark donald steven paul andrew joshua kenneth kevin brian george
    timothy ronald edward jason jeffrey ryan jacob gary nicholas eric jonathan stephen larry
    justin scott brandon benjamin samuel gregory alexander frank patrick raymond jack dennis
    jerry tyler aaron henry peter adam nathan oliver harry jan lukas felix max tobias jonas
    mary patricia jennifer linda elizabeth barbara susan jessica sarah karen lisa nancy betty
    margaret sandra ashley kimberly emily donna michelle carol amanda dorothy melissa deborah
    stephanie rebecca sharon laura cynthia kathleen amy angela shirley anna brenda pamela emma
    nicole helen samantha katherine christine debra rachel carolyn janet catherine maria
    heather diane ruth julie olivia joyce virginia victoria kelly lauren christina joan
    evelyn judith megan andrea cheryl hannah jacqueline martha gloria teresa ann sara madison
    frances kathryn janice jean abigail alice julia judy sophia grace denise amber doris
    marilyn danielle beverly isabella theresa diana natalie brittany charlotte marie kayla
    alexis lori sophie katharina julia lena lea claudia sabine petra monika ursula andrea
    anke birgit""".split()
)
# Transliterated Russian given names appear on English versions of Russian cards.
TRANSLIT_FIRST = frozenset(
    """aleksandr aleksey alexey andrey anton artem boris denis dmitriy dmitry egor evgeniy
    igor ilya ivan kirill konstantin maksim maxim mikhail nikita nikolay oleg pavel roman
    sergey stanislav timur vladimir vladislav yuriy yuri alena alina alla anastasiya anna
    darya ekaterina elena elizaveta galina irina kristina ksenia kseniya lyudmila lyubov
    margarita marina mariya natalya nadezhda olga polina svetlana tatyana viktoriya yuliya
    yulia""".split()
)


@dataclass(frozen=True)
class PersonName:
    full: str
    first: str | None
    middle: str | None
    last: str | None


def name_words(text: str) -> list[str] | None:
    """The words of `text` if it is shaped like a person's name, else None."""
    words = text.replace(",", " ").split()
    if not 2 <= len(words) <= 4:
        return None
    full = [w for w in words if not _INITIAL.match(w)]
    if len(full) < 2 or not all(_WORD.match(w) for w in full):
        return None
    scripts = {"cyr" if re.search(r"[А-Яа-яЁё]", w) else "lat" for w in words}
    if len(scripts) > 1:
        return None
    return words


def is_first_name(word: str) -> bool:
    w = word.lower()
    return w in RU_FIRST or w in EN_FIRST or w in TRANSLIT_FIRST


def name_likelihood(words: list[str]) -> float:
    """0..1: how much the words look like a person's name rather than a company or title."""
    score = 0.3
    if any(is_first_name(w) for w in words):
        score += 0.4
    if any(_PATRONYMIC.search(w) for w in words):
        score += 0.3
    if any(_RU_SURNAME.search(w) for w in words if re.search(r"[А-Яа-яЁё]", w)):
        score += 0.1
    if any(_INITIAL.match(w) for w in words):
        score += 0.2
    return min(score, 1.0)


def _cased(word: str) -> str:
    """ALL-CAPS words become Title-case; initials and mixed-case words stay as printed."""
    if word.isupper() and len(word) > 1 and not _INITIAL.match(word):
        return re.sub(r"[^\W\d_]+", lambda m: m.group(0).capitalize(), word)
    return word


def parse_name(text: str) -> PersonName:
    words = [_cased(w) for w in text.replace(",", " ").split()]
    full = " ".join(words)
    if len(words) == 1:
        return PersonName(full, words[0], None, None)
    cyr = bool(re.search(r"[А-Яа-яЁё]", full))
    patronymic = [i for i, w in enumerate(words) if cyr and _PATRONYMIC.search(w)]
    if len(words) == 3 and patronymic:
        if patronymic[-1] == 2:  # Фамилия Имя Отчество
            return PersonName(full, words[1], words[2], words[0])
        if patronymic[-1] == 1:  # Имя Отчество Фамилия
            return PersonName(full, words[0], words[1], words[2])
    if len(words) == 2:
        a, b = words
        if is_first_name(b) and not is_first_name(a):
            return PersonName(full, b, None, a)
        if is_first_name(a):
            return PersonName(full, a, None, b)
        if cyr and _RU_SURNAME.search(a) and not _RU_SURNAME.search(b):
            return PersonName(full, b, None, a)
        return PersonName(full, a, None, b)
    # English order: First [Middle…] Last.
    if is_first_name(words[-1]) and not is_first_name(words[0]) and cyr:
        return PersonName(full, words[-1], " ".join(words[1:-1]) or None, words[0])
    return PersonName(full, words[0], " ".join(words[1:-1]) or None, words[-1])
