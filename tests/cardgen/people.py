"""People's names built from per-culture name parts, so most are in no dictionary.

A reader that only knows `Michael Miller` and `Анна` must still find `Delvin Whitbrook`,
`Ярослав Свирелов`, `Nguyễn Quang Khải` and `Kenji Hanemura`.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class Person:
    printed: str  # the name line exactly as printed
    first: str
    last: str
    middle: str | None
    gender: str  # "m" | "f"
    ascii_first: str  # for e-mail local parts
    ascii_last: str
    other: str | None = None  # the same name in a second script (kanji, hanzi, Latin)
    shown: str | None = None  # the printed line when it differs from `printed` (a "Dr." prefix)


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


_VOWELS = set("aeiouáéíóúâêôãõàèìòùäëïöüœ")


def _build(r: random.Random, *parts: list[str]) -> str:
    """Name parts joined, skipping a part that would put two vowels together (`Maliícia`)."""
    chosen = [r.choice(options) for options in parts]

    def clash(a: str, b: str) -> bool:
        return bool(a and b) and a[-1].lower() in _VOWELS and b[0].lower() in _VOWELS

    out = chosen[0]
    for i, part in enumerate(chosen[1:], 1):
        middle = i < len(chosen) - 1
        if middle and (clash(out, part) or clash(part, chosen[i + 1])):
            continue
        if clash(out, part) and len(out) >= 2:
            out = out[:-1]  # Gi + iane -> Giane
        out += part
    return _cap(out)


_RU_LAT = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        "a b v g d e e zh z i y k l m n o p r s t u f kh ts ch sh shch - y - e yu ya".split(),
        strict=True,
    )
)
_DE_LAT = {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "đ": "d"}


def latin(text: str) -> str:
    """Cyrillic to Latin (passport style), other letters to plain ASCII: `Ярослав` -> `Yaroslav`."""
    out = []
    for ch in text:
        low = ch.lower()
        if low in _RU_LAT:
            t = _RU_LAT[low].replace("-", "")
            out.append(_cap(t) if ch != low else t)
        else:
            out.append(_DE_LAT.get(low, ch) if ch == low else _cap(_DE_LAT.get(low, ch)))
    return "".join(out)


def ascii_fold(text: str) -> str:
    """Lower-case ASCII for e-mail addresses and domains: `Mühlbrink` -> `muehlbrink`."""
    decomposed = unicodedata.normalize("NFKD", latin(text).lower())
    return "".join(c for c in decomposed if c.isascii() and (c.isalnum() or c in "-."))


# --- Brazil ---------------------------------------------------------------------------------
_BR_START = ["Al", "Be", "Ca", "Da", "Ed", "Fa", "Gi", "Jo", "Lu", "Ma", "Ne", "Ra", "Ro",
             "Se", "Ta", "Va", "Wal", "Ge", "Re", "Tha", "Cle", "O"]  # fmt: skip
_BR_MID = ["", "", "ri", "va", "ne", "li", "de", "ce", "ra", "to", "mi"]
_BR_M = ["lo", "son", "no", "nei", "ro", "dir", "ton", "cio", "el", "mar", "ênio", "ério",
         "ávio", "ilton"]  # fmt: skip
_BR_F = ["na", "la", "ra", "ne", "sa", "lia", "ete", "iane", "cia", "rina", "ânia", "élia",
         "ícia"]  # fmt: skip
_BR_LAST1 = ["Bar", "Cas", "Fer", "Gou", "Lin", "Mar", "Nas", "Pai", "Quei", "Ri", "San",
             "Tei", "Va", "Mo", "Ar", "Bra", "Fon", "Gue", "Du", "Es"]  # fmt: skip
_BR_LAST2 = ["", "ta", "re", "ri", "ve", "ga", "lo", "me", "ma"]
_BR_LAST3 = ["des", "ra", "lho", "ves", "ro", "ia", "so", "nho", "tos", "res", "ldo", "go",
             "leão", "újo", "rim"]  # fmt: skip


def brazil(r: random.Random) -> Person:
    g = r.choice("mf")
    first = _build(r, _BR_START, _BR_MID, _BR_M if g == "m" else _BR_F)
    last = _build(r, _BR_LAST1, _BR_LAST2, _BR_LAST3)
    middle = r.choice("ABCDFGLMNPRST") + "." if r.random() < 0.3 else None
    printed = " ".join(p for p in (first, middle, last) if p)
    return Person(printed, first, last, middle, g, ascii_fold(first), ascii_fold(last))


# --- Japan ----------------------------------------------------------------------------------
_JP_FAM1 = [("Taka", "高"), ("Naka", "中"), ("Yama", "山"), ("Kawa", "川"), ("Mori", "森"),
            ("Ishi", "石"), ("Fuji", "藤"), ("Matsu", "松"), ("Hira", "平"), ("Oka", "岡"),
            ("Shira", "白"), ("Kita", "北"), ("Nishi", "西"), ("Hane", "羽"), ("Ao", "青"),
            ("Kuro", "黒"), ("Sakura", "桜"), ("Tsuru", "鶴"), ("Hoshi", "星"),
            ("Kiri", "桐")]  # fmt: skip
_JP_FAM2 = [("mura", "村"), ("moto", "本"), ("da", "田"), ("kawa", "川"), ("hara", "原"),
            ("saki", "崎"), ("shima", "島"), ("no", "野"), ("yama", "山"), ("oka", "岡"),
            ("zawa", "沢"), ("hashi", "橋"), ("tani", "谷"), ("gaki", "垣")]  # fmt: skip
_JP_GIV = [("Ken", "健"), ("Hiro", "博"), ("Kazu", "和"), ("Yoshi", "義"), ("Masa", "正"),
           ("Taka", "隆"), ("Nori", "典"), ("Shin", "真"), ("Ryo", "涼"), ("Yu", "優"),
           ("Sho", "翔"), ("Tomo", "智"), ("Haru", "春"), ("Aki", "明"), ("Nao", "直")]  # fmt: skip
_JP_GIV_F = [("Mi", "美"), ("Sa", "咲"), ("Yuki", "雪"), ("Kana", "香"), ("Ma", "麻"),
             ("Haru", "春"), ("Aki", "明"), ("Tomo", "智"), ("Nao", "直")]  # fmt: skip
_JP_M = [("ji", "二"), ("to", "人"), ("ya", "也"), ("ki", "樹"), ("suke", "介"), ("hei", "平"),
         ("ta", "太"), ("o", "雄"), ("shi", "志")]  # fmt: skip
_JP_F = [("ko", "子"), ("mi", "美"), ("na", "奈"), ("ka", "香"), ("e", "恵"), ("ho", "穂"),
         ("ri", "里"), ("no", "乃")]  # fmt: skip


def japan(r: random.Random) -> Person:
    g = r.choice("mf")
    f1, f2 = r.choice(_JP_FAM1), r.choice(_JP_FAM2)
    while f2[1] == f1[1]:
        f2 = r.choice(_JP_FAM2)
    g1, g2 = r.choice(_JP_GIV if g == "m" else _JP_GIV_F), r.choice(_JP_M if g == "m" else _JP_F)
    last, first = f1[0] + f2[0], g1[0] + g2[0]
    kanji = f"{f1[1]}{f2[1]} {g1[1]}{g2[1]}"
    style = r.random()
    if style < 0.55:
        printed = f"{first} {last}"
    elif style < 0.8:
        printed = f"{last.upper()} {first}"
    else:
        printed = f"{last} {first}"
    return Person(printed, first, last, None, g, first.lower(), last.lower(), other=kanji)


# --- Vietnam --------------------------------------------------------------------------------
_VN_FAM = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi",
           "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "Đinh", "Trịnh", "Lương", "Mai"]  # fmt: skip
_VN_MID = {"m": ["Văn", "Đức", "Minh", "Quang", "Hữu", "Thành", "Công", "Gia"],
           "f": ["Thị", "Ngọc", "Thu", "Thanh", "Mỹ", "Kim", "Bích"]}  # fmt: skip
_VN_GIV = {"m": ["Hùng", "Tuấn", "Dũng", "Khoa", "Phúc", "Bảo", "Huy", "Nam", "Thắng",
                 "Cường", "Vĩnh", "Lộc", "Tài", "Khải", "Đạt", "Hiếu", "Quý", "Toàn"],
           "f": ["Lan", "Hương", "Trang", "Thảo", "Quyên", "Yến", "Ngân", "Vy", "Trâm",
                 "Nhung", "Diệp", "Hạnh", "Loan", "Linh", "Phượng", "Xuân"]}  # fmt: skip


def vietnam(r: random.Random) -> Person:
    g = r.choice("mf")
    last, middle, first = r.choice(_VN_FAM), r.choice(_VN_MID[g]), r.choice(_VN_GIV[g])
    printed = f"{last} {middle} {first}"
    return Person(printed, first, last, middle, g, ascii_fold(first), ascii_fold(last))


# --- Russia ---------------------------------------------------------------------------------
_RU_ROOT = ["Бел", "Вор", "Грач", "Дуб", "Жар", "Звер", "Кал", "Лоз", "Мер", "Нек", "Пол",
            "Раз", "Сол", "Тар", "Хол", "Чер", "Шир", "Яр", "Крут", "Свир", "Горб", "Лыс",
            "Мох", "Рыж", "Стрел", "Топ"]  # fmt: skip
_RU_MID = ["", "", "он", "ен", "ан", "ив", "ар", "ел", "уш", "ят", "ик"]
_RU_FIRST = {"m": ["Всеволод", "Ярослав", "Глеб", "Тимофей", "Ростислав", "Еремей", "Прохор",
                   "Демид", "Матвей", "Савелий", "Арсений", "Елисей", "Мирон", "Филат"],
             "f": ["Милана", "Злата", "Арина", "Василиса", "Серафима", "Агата", "Ульяна",
                   "Есения", "Таисия", "Полина", "Вероника", "Дарина", "Мирослава"]}  # fmt: skip
_RU_FATHER = ["Глеб", "Мирон", "Демид", "Ростислав", "Тимофей", "Матвей", "Арсений",
              "Елисей", "Прохор", "Филат", "Ярослав", "Всеволод", "Савелий", "Евсей", "Игнат",
              "Родион"]  # fmt: skip


def _patronymic(father: str, g: str) -> str:
    if father.endswith("ий"):
        stem, m, f = father[:-2] + "ь", "евич", "евна"
    elif father.endswith("й"):
        stem, m, f = father[:-1], "евич", "евна"
    else:
        stem, m, f = father, "ович", "овна"
    return stem + (m if g == "m" else f)


def _ru_surname(r: random.Random, g: str) -> str:
    stem = r.choice(_RU_ROOT) + r.choice(_RU_MID)
    if stem[-1] in "шжчщц":
        suffix = ("ев", "ева")
    else:
        suffix = r.choice([("ов", "ова"), ("ин", "ина"), ("ский", "ская"), ("ов", "ова")])
    return stem + suffix[0 if g == "m" else 1]


def russia(r: random.Random) -> Person:
    g = r.choice("mf")
    first, last = r.choice(_RU_FIRST[g]), _ru_surname(r, g)
    middle = _patronymic(r.choice(_RU_FATHER), g) if r.random() < 0.7 else None
    if middle and r.random() < 0.6:
        printed = f"{last} {first} {middle}"
    elif middle:
        printed = f"{first} {middle} {last}"
    else:
        printed = f"{first} {last}"
    other = f"{latin(first)} {latin(last)}"
    return Person(printed, first, last, middle, g, ascii_fold(first), ascii_fold(last), other)


# --- English-speaking -----------------------------------------------------------------------
_EN_START = ["Bray", "Kay", "Jor", "Mad", "Ash", "Tay", "Hud", "Lan", "Bro", "Chan", "Del",
             "Gar", "Hol", "Mar", "Ros", "Wyn", "Tris", "Cal", "Ev", "Lor"]  # fmt: skip
_EN_M = ["den", "son", "ton", "ric", "rett", "vin", "ley", "ston", "ford", "wen"]
_EN_F = ["lyn", "lee", "ra", "na", "ette", "issa", "anne", "ia", "elle"]
_EN_LAST1 = ["Hal", "Whit", "Cart", "Ash", "Brad", "Ken", "Pem", "Stan", "Thorn", "Wes", "Gar",
             "Mel", "Ald", "Fair", "Roth", "Cran", "Dun", "Hart", "Lock", "Pres"]  # fmt: skip
_EN_LAST2 = ["ford", "wick", "ley", "more", "ton", "field", "brook", "er", "well", "by",
             "stead", "ridge", "ham", "cott"]  # fmt: skip


def english(r: random.Random) -> Person:
    g = r.choice("mf")
    first = _build(r, _EN_START, _EN_M if g == "m" else _EN_F)
    last = _build(r, _EN_LAST1, _EN_LAST2)
    middle = r.choice("ABCDEFGHJKLMNPRSTW") + "." if r.random() < 0.35 else None
    printed = " ".join(p for p in (first, middle, last) if p)
    return Person(printed, first, last, middle, g, first.lower(), last.lower())


_SG_FAM = [("Tan", "陈"), ("Lim", "林"), ("Lee", "李"), ("Ng", "黄"), ("Goh", "吴"), ("Ong", "王"),
           ("Teo", "张"), ("Koh", "许"), ("Chua", "蔡"), ("Low", "刘"), ("Yeo", "杨"),
           ("Sim", "沈"), ("Chia", "谢"), ("Quek", "郭")]  # fmt: skip
_SG_GIV = [("Wei", "伟"), ("Ming", "明"), ("Hui", "慧"), ("Jun", "俊"), ("Xin", "欣"),
           ("Kai", "凯"), ("Ling", "玲"), ("Boon", "文"), ("Keat", "吉"), ("Hao", "浩"),
           ("Yi", "怡"), ("Jie", "杰"), ("Shan", "珊"), ("Zhi", "志"), ("Hong", "宏"),
           ("Mei", "美"), ("Yong", "勇")]  # fmt: skip


def singapore(r: random.Random) -> Person:
    fam = r.choice(_SG_FAM)
    g1, g2 = r.sample(_SG_GIV, 2)
    g = r.choice("mf")
    hanzi = fam[1] + g1[1] + g2[1]
    if r.random() < 0.6:
        first = f"{g1[0]} {g2[0]}"
        printed = f"{fam[0]} {first}"
        return Person(printed, first, fam[0], None, g, g1[0].lower() + g2[0].lower(),
                      fam[0].lower(), other=hanzi)  # fmt: skip
    west = english(r)
    printed = f"{west.first} {fam[0]}"
    return Person(printed, west.first, fam[0], None, west.gender, west.ascii_first,
                  fam[0].lower(), other=hanzi)  # fmt: skip


# --- Germany, France ------------------------------------------------------------------------
_DE_START = ["Jo", "Ma", "Lu", "Fe", "Kla", "Hen", "Ul", "Ber", "Wal", "Ger", "Frie", "Ste",
             "Ben", "Ha", "Til", "Ot", "Rü", "Jör"]  # fmt: skip
_DE_M = ["nas", "rik", "lix", "tram", "ter", "hard", "fan", "mar", "bert", "win", "ger", "mo"]
_DE_F = ["ke", "ra", "rike", "da", "na", "linde", "sa", "traud", "ja"]
_DE_LAST1 = ["Schwar", "Hof", "Berg", "Lin", "Wald", "Stein", "Bren", "Kessel", "Mühl", "Rott",
             "Eich", "Forst", "Kra", "Wie", "Brü", "Sand", "Hol", "Gött"]  # fmt: skip
_DE_LAST2 = ["mann", "er", "ner", "hauser", "bach", "berger", "dorf", "ling", "meier", "brink",
             "huber", "städt", "ke"]  # fmt: skip


def germany(r: random.Random) -> Person:
    g = r.choice("mf")
    first = _build(r, _DE_START, _DE_M if g == "m" else _DE_F)
    last = _build(r, _DE_LAST1, _DE_LAST2)
    person = Person(f"{first} {last}", first, last, None, g, ascii_fold(first), ascii_fold(last))
    if r.random() < 0.25:  # "Dr." is printed but is no part of the name
        return Person(**{**person.__dict__, "shown": f"Dr. {first} {last}"})
    return person


_FR_START = ["Ma", "Clé", "Ju", "Lé", "Au", "Ga", "Éli", "Ro", "Tho", "Sé", "Ber", "Gé", "Ami",
             "Do", "Lu", "Flo"]  # fmt: skip
_FR_M = ["thieu", "ment", "lien", "on", "bin", "mas", "bastien", "nard", "ric", "dric"]
_FR_F = ["thilde", "rence", "lie", "rore", "ëlle", "sanne", "line", "tine", "phine", "dine"]
_FR_LAST1 = ["Du", "La", "Mar", "Fon", "Ber", "Ro", "Che", "Gi", "Bou", "Vil", "Mon", "Beau",
             "Des", "Sau"]  # fmt: skip
_FR_LAST2 = ["bois", "fèvre", "chand", "taine", "nard", "valier", "rard", "langer", "champ",
             "mont", "roche", "vigne", "lac"]  # fmt: skip


def france(r: random.Random) -> Person:
    g = r.choice("mf")
    first = _build(r, _FR_START, _FR_M if g == "m" else _FR_F)
    last = _build(r, _FR_LAST1, _FR_LAST2)
    printed = f"{first} {last.upper()}" if r.random() < 0.4 else f"{first} {last}"
    return Person(printed, first, last, None, g, ascii_fold(first), ascii_fold(last))
