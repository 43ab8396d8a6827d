"""Companies, cities and postal addresses per country, all generated from parts."""

from __future__ import annotations

import random
from dataclasses import dataclass

from tests.cardgen import people
from tests.cardgen.people import ascii_fold, latin


@dataclass(frozen=True)
class Company:
    printed: str
    slug: str  # the fictional domain's first label
    initials: str  # what a logo prints
    other: str | None = None  # the name in the card's second language


@dataclass(frozen=True)
class City:
    name: str
    area: str  # phone area code without the trunk prefix
    region: str = ""  # state, prefecture, ward...
    post: str = ""  # postcode prefix


def _d(r: random.Random, k: int) -> str:
    return "".join(r.choice("0123456789") for _ in range(k))


def _initials(words: list[str]) -> str:
    letters = [w[0] for w in words if w[:1].isalpha() and w[0].isupper()]
    return "".join(letters[:2]) or words[0][:2].upper()


def _brand(r: random.Random, starts: list[str], ends: list[str]) -> str:
    return (r.choice(starts) + r.choice(ends)).capitalize()


_LATIN_START = ["Van", "Mor", "Cal", "Ber", "Lu", "Tor", "Sol", "Ner", "Av", "Quin", "Vel",
                "Dor", "Al", "Mar", "Tri", "Zen", "Ori", "Kal"]  # fmt: skip
_LATIN_END = ["tel", "ivo", "ara", "ex", "ion", "ora", "ano", "is", "en", "ova", "ix", "ant",
              "ea", "ar"]  # fmt: skip

CITIES: dict[str, list[City]] = {
    "BR": [City("São Paulo", "11", "SP"), City("Campinas", "19", "SP"),
           City("Rio de Janeiro", "21", "RJ"), City("Belo Horizonte", "31", "MG"),
           City("Curitiba", "41", "PR"), City("Porto Alegre", "51", "RS"),
           City("Recife", "81", "PE")],
    "JP": [City("千代田区", "3", "東京都"), City("港区", "3", "東京都"),
           City("新宿区", "3", "東京都"),
           City("大阪市北区", "6", "大阪府"), City("名古屋市中区", "52", "愛知県"),
           City("福岡市博多区", "92", "福岡県"), City("横浜市西区", "45", "神奈川県"),
           City("札幌市中央区", "11", "北海道")],
    "VN": [City("Hà Nội", "24", "Quận Cầu Giấy|Quận Ba Đình|Quận Hai Bà Trưng"),
           City("TP. Hồ Chí Minh", "28", "Quận 1|Quận 3|Quận Bình Thạnh|Quận Tân Bình"),
           City("Đà Nẵng", "236", "Quận Hải Châu|Quận Sơn Trà"),
           City("Hải Phòng", "225", "Quận Lê Chân|Quận Ngô Quyền")],
    "RU": [City("Москва", "495", post="12"), City("Москва", "499", post="12"),
           City("Санкт-Петербург", "812", post="19"), City("Новосибирск", "383", post="63"),
           City("Екатеринбург", "343", post="62"), City("Казань", "843", post="42")],
    "SG": [City("Singapore", "")],
    "DE": [City("Berlin", "30", post="10"), City("Hamburg", "40", post="20"),
           City("München", "89", post="80"), City("Köln", "221", post="50"),
           City("Frankfurt am Main", "69", post="60"), City("Stuttgart", "711", post="70"),
           City("Leipzig", "341", post="04"), City("Dresden", "351", post="01")],
    "US": [City("Denver", "303", "CO", "802"), City("Austin", "512", "TX", "787"),
           City("Seattle", "206", "WA", "981"), City("Chicago", "312", "IL", "606"),
           City("Boston", "617", "MA", "021"), City("Atlanta", "404", "GA", "303"),
           City("Phoenix", "602", "AZ", "850")],
    "GB": [City("London", "20", post="EC2A|SE1|N1|W1D"), City("Leeds", "113", post="LS1"),
           City("Sheffield", "114", post="S1"), City("Leicester", "116", post="LE1"),
           City("Bristol", "117", post="BS1"), City("Birmingham", "121", post="B3"),
           City("Edinburgh", "131", post="EH2"), City("Glasgow", "141", post="G2"),
           City("Manchester", "161", post="M1")],
    "FR": [City("Paris", "1", post="75"), City("Lyon", "4", post="69"),
           City("Marseille", "4", post="13"), City("Toulouse", "5", post="31"),
           City("Nantes", "2", post="44"), City("Lille", "3", post="59"),
           City("Strasbourg", "3", post="67"), City("Bordeaux", "5", post="33")],
}  # fmt: skip


# --- companies ------------------------------------------------------------------------------
def company(cc: str, r: random.Random) -> Company:
    return _COMPANY[cc](r)


def _br_company(r: random.Random) -> Company:
    brand = _brand(r, _LATIN_START, _LATIN_END)
    sector = r.choice(["Auto Peças", "Informática", "Distribuidora", "Engenharia",
                       "Contabilidade", "Transportes", "Materiais de Construção", "Óptica",
                       "Refrigeração", "Alimentos"])  # fmt: skip
    form = r.choice(["Ltda.", "Ltda.", "LTDA", "S/A", "ME", "EIRELI"])
    printed = r.choice([f"{brand} {sector} {form}", f"{sector} {brand} {form}",
                        f"{brand.upper()} {sector}"])  # fmt: skip
    return Company(printed, ascii_fold(brand), _initials([brand, sector]))


_JP_SECTOR = [("精機", "Seiki"), ("商事", "Shoji"), ("工業", "Kogyo"), ("電機", "Denki"),
              ("物産", "Bussan"), ("建設", "Kensetsu"), ("製作所", "Seisakusho"),
              ("技研", "Giken"), ("化学", "Kagaku"), ("運輸", "Unyu")]  # fmt: skip


def _jp_company(r: random.Random) -> Company:
    owner = people.japan(r)
    kanji_family = (owner.other or "").split()[0]
    sector_j, sector_r = r.choice(_JP_SECTOR)
    name_j = kanji_family + sector_j
    printed = f"株式会社{name_j}" if r.random() < 0.6 else f"{name_j}株式会社"
    other = f"{owner.last} {sector_r} Co., Ltd."
    slug = f"{owner.last.lower()}-{sector_r.lower()}"
    return Company(printed, slug, owner.last[0] + sector_r[0], other)


_VN_SECTOR = [("THƯƠNG MẠI DỊCH VỤ", "Trading & Services"), ("XÂY DỰNG", "Construction"),
              ("CÔNG NGHỆ", "Technology"), ("VẬN TẢI", "Logistics"), ("IN ẤN", "Printing"),
              ("THỰC PHẨM", "Foods"), ("THIẾT BỊ Y TẾ", "Medical Equipment")]  # fmt: skip
_VN_BRAND = ["An", "Phú", "Hưng", "Thịnh", "Minh", "Khang", "Tân", "Việt", "Đại", "Phát",
             "Hoàng", "Long", "Sao", "Mai", "Thành", "Bảo", "Ngọc", "Kim"]  # fmt: skip


def _vn_company(r: random.Random) -> Company:
    brand = " ".join(r.sample(_VN_BRAND, 2))
    sector, sector_en = r.choice(_VN_SECTOR)
    form, form_en = r.choice([("CÔNG TY TNHH", "Co., Ltd."), ("CÔNG TY CỔ PHẦN", "JSC"),
                              ("CÔNG TY TNHH", "Co., Ltd.")])  # fmt: skip
    printed = f"{form} {sector} {brand.upper()}"
    if r.random() < 0.25:
        printed = f"{form.capitalize().replace('tnhh', 'TNHH')} {brand}".replace(
            "Công ty cổ phần", "Công ty Cổ phần"
        )
    plain = ascii_fold(brand).replace(" ", "")
    other = f"{' '.join(ascii_fold(w).capitalize() for w in brand.split())} {sector_en} {form_en}"
    return Company(printed, plain, "".join(w[0] for w in brand.split()), other)


_RU_A = ["Тех", "Альфа", "Строй", "Инвест", "Гранит", "Вектор", "Сиб", "Урал", "Нева", "Волга",
         "Север", "Энерго", "Агро", "Мега", "Прайм", "Юг"]  # fmt: skip
_RU_B = ["пром", "сервис", "лайн", "трейд", "ком", "маш", "снаб", "стандарт", "групп", "проект"]


def _ru_company(r: random.Random) -> Company:
    brand = r.choice(_RU_A) + r.choice(_RU_B)
    if r.random() < 0.2:
        brand = f"{r.choice(_RU_A)}-{r.choice(_RU_B).capitalize()}"
    form, form_en = r.choice([("ООО", "LLC"), ("ООО", "LLC"), ("АО", "JSC"), ("ЗАО", "CJSC")])
    quote = r.choice([("«", "»"), ("«", "»"), ('"', '"'), ("“", "”")])
    printed = f"{form} {quote[0]}{brand}{quote[1]}"
    other = f"{latin(brand)} {form_en}"
    return Company(printed, ascii_fold(brand), brand[0] + form[0], other)


def _sg_company(r: random.Random) -> Company:
    brand = _brand(r, ["Sin", "Ori", "Mer", "Kai", "Lum", "Tri", "Vel", "Aster", "Zen", "Bay"],
                   ["tek", "ova", "ion", "ara", "ix", "wave", "point", "link"])  # fmt: skip
    sector = r.choice(["Engineering", "Logistics", "Trading", "Solutions", "Marine",
                       "Technologies", "Holdings", "Consulting"])  # fmt: skip
    form = r.choice(["Pte Ltd", "Pte. Ltd.", "Pte Ltd"])
    return Company(f"{brand} {sector} {form}", brand.lower(), brand[0] + sector[0])


def _de_company(r: random.Random) -> Company:
    owner, partner = people.germany(r), people.germany(r)
    sector = r.choice(["Logistik", "Maschinenbau", "Steuerberatung", "Elektrotechnik", "Medien",
                       "Immobilien", "Software", "Haustechnik"])  # fmt: skip
    style = r.random()
    if style < 0.4:
        printed, slug = f"{owner.last} {sector} GmbH", owner.ascii_last
    elif style < 0.7:
        brand = _brand(r, _LATIN_START, _LATIN_END)
        printed, slug = f"{brand} {sector} AG", ascii_fold(brand)
    else:
        printed = f"{owner.last} & {partner.last} GmbH & Co. KG"
        slug = f"{owner.ascii_last}-{partner.ascii_last}"
    return Company(printed, slug, _initials(printed.split()))


def _en_company(r: random.Random, forms: list[str]) -> Company:
    owner, partner = people.english(r), people.english(r)
    if r.random() < 0.3:
        printed = f"{owner.last} & {partner.last} {r.choice(forms)}"
        return Company(printed, owner.ascii_last, owner.last[0] + partner.last[0])
    brand = _brand(r, ["Bright", "Summit", "Harbor", "Iron", "Cedar", "Keystone", "North",
                       "Clear", "Stone", "Silver", "Oak", "River"],
                   ["", "", "gate", "line", "field", "bridge", "view", "wood"])  # fmt: skip
    sector = r.choice(["Analytics", "Logistics", "Partners", "Dynamics", "Systems", "Builders",
                       "Realty", "Health", "Studio", "Surveying"])  # fmt: skip
    printed = f"{brand} {sector} {r.choice(forms)}"
    return Company(printed, f"{brand.lower()}-{sector.lower()}", brand[0] + sector[0])


def _fr_company(r: random.Random) -> Company:
    owner = people.france(r)
    brand = _brand(r, _LATIN_START, _LATIN_END)
    sector = r.choice(["Conseil", "Immobilier", "Bâtiment", "Informatique", "Transports",
                       "Études", "Paysage"])  # fmt: skip
    style = r.random()
    if style < 0.35:
        printed = f"{brand} {sector} SARL"
    elif style < 0.65:
        printed = f"SAS {brand} {sector}"
    else:
        printed = f"Cabinet {owner.last} & Associés"
        return Company(printed, owner.ascii_last, owner.last[0] + "A")
    return Company(printed, ascii_fold(brand), brand[0] + sector[0])


_COMPANY = {
    "BR": _br_company, "JP": _jp_company, "VN": _vn_company, "RU": _ru_company,
    "SG": _sg_company, "DE": _de_company,
    "US": lambda r: _en_company(r, ["Inc.", "LLC", "Corp.", "Group, Inc."]),
    "GB": lambda r: _en_company(r, ["Ltd", "Ltd.", "LLP", "plc"]),
    "FR": _fr_company,
}  # fmt: skip


# --- addresses ------------------------------------------------------------------------------
def address(cc: str, city: City, r: random.Random) -> list[str]:
    """The address as printed, one string per printed line (1 to 3 lines)."""
    return _ADDRESS[cc](city, r)


def _br_address(c: City, r: random.Random) -> list[str]:
    p = people.brazil(r)
    street = r.choice([f"Rua {p.first} {p.last}", f"Av. {p.last}", f"Avenida {p.first} {p.last}",
                       f"R. Padre {p.first}", "Rua 15 de Novembro",
                       f"Alameda {p.last}"])  # fmt: skip
    num = r.choice(
        [str(r.randint(10, 999)), f"{r.randint(1, 3)}.{_d(r, 3)}", f"nº {r.randint(5, 99)}"]
    )
    extra = r.choice(["", "", f" - Sala {r.randint(2, 40)}", f" - Conj. {r.randint(11, 99)}",
                      f" - {r.randint(1, 9)}º andar"])  # fmt: skip
    hood = r.choice(["Centro", f"Jd. {people.brazil(r).last}", f"Vila {people.brazil(r).first}",
                     "Bela Vista", f"Jardim {people.brazil(r).last}"])  # fmt: skip
    cep = f"{r.choice('0123')}{_d(r, 4)}-{_d(r, 3)}"
    style = r.random()
    if style < 0.35:
        return [f"{street}, {num}{extra} - {hood} - {c.name} - {c.region}"]
    if style < 0.7:
        return [f"{street}, {num}{extra}", f"{hood} - CEP {cep} - {c.name}/{c.region}"]
    return [f"{street}, {num}{extra}", f"{hood} - {c.name} - {c.region}", f"CEP: {cep}"]


def _jp_address(c: City, r: random.Random) -> list[str]:
    town = r.choice("西東南北中新本大若高緑桜") + r.choice(
        ["町", "台", "原", "田", "丘", "浜", "橋"]
    )
    a, b, c_ = r.randint(1, 5), r.randint(1, 20), r.randint(1, 30)
    block = r.choice([f"{a}-{b}-{c_}", f"{a}丁目{b}番{c_}号"])
    building = r.choice(["", f"{r.choice('第新')}{r.randint(2, 5)}{town}ビル {r.randint(2, 12)}F",
                         f"{town}ビル{r.randint(2, 9)}階"])  # fmt: skip
    post = f"〒{_d(r, 3)}-{_d(r, 4)}"
    street = f"{c.region}{c.name}{town}{block}"
    style = r.random()
    if style < 0.3:
        return [" ".join(x for x in (post, street, building) if x)]
    if style < 0.65 or not building:
        return [post, f"{street} {building}".strip()]
    return [f"{post} {street}", building]


def _vn_address(c: City, r: random.Random) -> list[str]:
    who = people.vietnam(r)
    road = r.choice(["Đường", "Phố", "Đường"]) + f" {who.last} {who.first}"
    num = r.choice(
        [
            f"Số {r.randint(2, 199)}",
            f"{r.randint(2, 199)}",
            f"{r.randint(2, 99)}/{r.randint(1, 30)}",
        ]
    )
    ward = f"Phường {r.choice([str(r.randint(1, 15)), people.vietnam(r).first])}"
    district = r.choice(c.region.split("|"))
    if r.random() < 0.35:
        floor = f"Tầng {r.randint(2, 20)}, Tòa nhà {people.vietnam(r).first} Tower"
        return [floor, f"{num} {road}, {ward}", f"{district}, {c.name}"]
    if r.random() < 0.5:
        return [f"{num} {road}, {ward}, {district}, {c.name}"]
    return [f"{num} {road}, {ward}", f"{district}, {c.name}"]


def _ru_address(c: City, r: random.Random) -> list[str]:
    surname = people._ru_surname(r, "m")  # streets are named after people: ул. Белонова
    if surname.endswith("ий"):
        surname = surname[:-2] + "ого"
    else:
        surname += "а"
    plain = r.choice(["Лесная", "Садовая", "Заречная", "Полевая", "Луговая"])
    lane = r.choice(["Лесной", "Садовый", "Кленовый"])
    street = r.choice([f"ул. {surname}", f"пр-т {surname}", f"ул. {plain}", f"{lane} пер."])
    house = f"д. {r.randint(1, 120)}" + r.choice(
        ["", "", f", стр. {r.randint(1, 5)}", f", корп. {r.randint(1, 3)}"]
    )
    office = r.choice(["", f"офис {r.randint(101, 905)}", f"оф. {r.randint(1, 40)}"])
    post = c.post + _d(r, 4)
    first = f"{post}, г. {c.name}" if r.random() < 0.6 else f"г. {c.name}"
    if r.random() < 0.4:
        return [", ".join(x for x in (first, street, house, office) if x)]
    return [f"{first}, {street}", ", ".join(x for x in (house, office) if x)]


def _sg_address(c: City, r: random.Random) -> list[str]:
    street = _brand(r, ["Kem", "Sera", "Tan", "Bu", "Ma", "Lo", "Pa", "Ke"],
                    ["bang", "yor", "jong", "kit", "lai", "rang", "sir"])  # fmt: skip
    unit = f"#{r.randint(1, 25):02d}-{r.randint(1, 40):02d}"
    post = f"Singapore {r.choice('0123456789')}{_d(r, 5)}"
    if r.random() < 0.5:
        road = f"{r.randint(1, 200)} {street} {r.choice(['Road', 'Avenue', 'Street', 'Crescent'])}"
        building = (
            f"{_brand(r, _LATIN_START, _LATIN_END)} {r.choice(['Centre', 'Tower', 'Building'])}"
        )
        return r.choice([[f"{road}, {unit} {building}", post], [road, f"{unit} {building}", post]])
    blk = f"Blk {r.randint(10, 999)} {street} Ave {r.randint(1, 9)}"
    return [f"{blk}, {unit}", post]


def _de_address(c: City, r: random.Random) -> list[str]:
    stem = r.choice(["Linden", "Birken", "Garten", "Schiller", "Mühlen", "Kirch", "Hafen",
                     "Ahorn", "Rosen", "Bahnhof", "Wiesen", "Eichen"])  # fmt: skip
    street = r.choice([f"{stem}straße", f"{stem}weg", f"{stem}allee", f"Am {stem}tor",
                       f"{stem}ring"])  # fmt: skip
    num = f"{r.randint(1, 140)}{r.choice(['', '', '', 'a', 'b'])}"
    post = f"{c.post}{_d(r, 3)} {c.name}"
    lines = [f"{street} {num}", post]
    if r.random() < 0.25:
        lines.append("Deutschland")
    if r.random() < 0.25:
        lines = [f"{street} {num}, {post}"]
    return lines


def _us_address(c: City, r: random.Random) -> list[str]:
    name = people.english(r).last
    kind = r.choice(["Avenue", "Street", "Blvd", "Road", "Drive", "Pkwy"])
    road = f"{r.randint(100, 9800)} {name} {kind}"
    suite = r.choice(
        [
            "",
            f"Suite {r.randint(1, 9)}00",
            f"Ste. {r.randint(100, 950)}",
            f"Floor {r.randint(2, 30)}",
        ]
    )
    city = f"{c.name}, {c.region} {c.post}{_d(r, 2)}"
    if not suite or r.random() < 0.4:
        return [", ".join(x for x in (road, suite) if x), city]
    return [road, suite, city]


def _gb_address(c: City, r: random.Random) -> list[str]:
    name = people.english(r).last
    district = r.choice(c.post.split("|"))
    letters = "ABDEFGHJLNPQRSTUWXYZ"
    post = f"{district} {r.randint(1, 9)}{r.choice(letters)}{r.choice(letters)}"
    kind = r.choice(["Street", "Road", "Lane", "Row", "Square", "Place"])
    road = f"{r.randint(1, 220)} {name} {kind}"
    if r.random() < 0.3:
        road = f"Unit {r.randint(1, 30)}, {name} Business Park"
    lines = [road, f"{c.name} {post}"]
    if r.random() < 0.3:
        lines.append("United Kingdom")
    return lines


def _fr_address(c: City, r: random.Random) -> list[str]:
    who = people.france(r)
    road = r.choice([f"rue {r.choice(['des Lilas', 'du Moulin', 'de la Gare', 'des Tanneurs'])}",
                     f"avenue {who.first} {who.last}", f"boulevard {who.last}",
                     f"place {who.last}"])  # fmt: skip
    num = f"{r.randint(1, 120)}{r.choice(['', '', '', ' bis'])}"
    post = f"{c.post}00{r.randint(1, 9)} {c.name}"
    lines = [f"{num} {road}", post]
    if r.random() < 0.3:
        lines.insert(0, f"Bâtiment {r.choice('ABCD')}, {r.randint(2, 8)}e étage")
    return lines


_ADDRESS = {
    "BR": _br_address, "JP": _jp_address, "VN": _vn_address, "RU": _ru_address,
    "SG": _sg_address, "DE": _de_address, "US": _us_address, "GB": _gb_address,
    "FR": _fr_address,
}  # fmt: skip
