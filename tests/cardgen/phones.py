"""Phone numbers per country: the E.164 truth and the way a local card prints it.

Numbers are random inside fictional ranges where a country has them (US 555-01xx, UK Ofcom
drama numbers, French ARCEP fiction blocks); elsewhere they are random valid-looking numbers.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Phone:
    country: str  # ISO code of the card's country: BR JP VN RU SG DE US GB FR
    area: str  # area code or mobile prefix, without the trunk 0
    local: str  # subscriber digits
    mobile: bool = False
    ext: str = ""  # a German direct-dial suffix (`-0`, `-99`): part of the number

    @property
    def e164(self) -> str:
        return "+" + CALLING_CODE[self.country] + self.area + self.local + self.ext


CALLING_CODE = {"BR": "55", "JP": "81", "VN": "84", "RU": "7", "SG": "65", "DE": "49",
                "US": "1", "GB": "44", "FR": "33"}  # fmt: skip

STYLES = {
    "BR": ["paren", "paren", "plain", "intl", "intl_paren", "local"],
    "JP": ["dash", "dash", "dash", "paren", "intl"],
    "VN": ["paren", "plain", "dot", "intl"],
    "RU": ["plus_paren", "eight_paren", "plus_plain", "eight_dash", "plus_spaced"],
    "SG": ["plain", "plain", "plain", "intl", "paren"],
    "DE": ["intl", "intl0", "national", "slash"],
    "US": ["paren", "dot", "dash", "intl", "intl_paren"],
    "GB": ["national", "national", "intl0", "intl"],
    "FR": ["national", "national", "dots", "intl0", "intl"],
}


def _digits(r: random.Random, n: int, first: str = "23456789") -> str:
    return r.choice(first) + "".join(r.choice("0123456789") for _ in range(n - 1))


def land(country: str, area: str, r: random.Random) -> Phone:
    """An office number in the city whose area code is `area`."""
    if country == "BR":
        local = _digits(r, 8, "2345")
    elif country == "JP":
        local = _digits(r, 8 if len(area) == 1 else 7)
    elif country == "VN":
        local = _digits(r, 8 if len(area) == 2 else 7, "3")
    elif country == "RU":
        local = _digits(r, 7)
    elif country == "SG":
        area, local = "", "6" + _digits(r, 7, "123456789")
    elif country == "DE":
        return Phone(country, area, _digits(r, 9 - len(area)), ext=r.choice(["", "", "0"]))
    elif country == "US":
        local = "55501" + _digits(r, 2, "0123456789")
    elif country == "GB":
        local = ("7946" if area == "20" else "496") + "0" + _digits(r, 3, "0123456789")
    else:  # FR: the ARCEP blocks reserved for fiction; `area` is the region digit
        local = {"1": "9900", "2": "6191", "3": "5301", "4": "6571", "5": "3649"}[area]
        local += _digits(r, 4, "0123456789")
    return Phone(country, area, local)


def mobile(country: str, r: random.Random) -> Phone:
    if country == "BR":
        raise ValueError("Brazilian mobiles share the city's area code: use br_mobile()")
    prefix, n = {
        "JP": (r.choice(["90", "80", "70"]), 8),
        "VN": (r.choice(["91", "90", "97", "98", "32", "35", "83", "70"]), 7),
        "RU": (r.choice(["915", "916", "903", "926", "985", "977"]), 7),
        "SG": ("", 8),
        "DE": (r.choice(["151", "152", "160", "170", "171", "176"]), r.choice([7, 8])),
        "US": ("", 0),
        "GB": ("7700", 6),
        "FR": ("6", 8),
    }[country]
    if country == "SG":
        return Phone(country, "", r.choice("89") + _digits(r, 7, "0123456789"), mobile=True)
    if country == "GB":
        return Phone(country, prefix, "900" + _digits(r, 3, "0123456789"), mobile=True)
    if country == "FR":
        return Phone(country, prefix, "3998" + _digits(r, 4, "0123456789"), mobile=True)
    if country == "US":
        raise ValueError("US cards print cell numbers in the office's area: use land()")
    return Phone(country, prefix, _digits(r, n, "123456789"), mobile=True)


def br_mobile(area: str, r: random.Random) -> Phone:
    return Phone("BR", area, "9" + _digits(r, 8, "6789"), mobile=True)


def sibling(p: Phone, r: random.Random) -> Phone:
    """The fax next to an office number: same prefix, other last digits."""
    if p.country == "DE" and (p.ext or r.random() < 0.5):
        return replace(p, ext=r.choice(["99", "9", "20", "50"]))
    last = p.local[-2:]
    while (new := f"{r.randrange(100):02d}") == last:
        pass
    return replace(p, local=p.local[:-2] + new, mobile=False)


def show(p: Phone, style: str) -> str:
    """The number as the card prints it in `style` (one of STYLES[country])."""
    a, n = p.area, p.local
    match p.country:
        case "BR":
            body = f"{n[:-4]}-{n[-4:]}"
            if style == "local" and p.mobile and len(n) == 9:
                body = f"{n[0]}.{n[1:5]}-{n[5:]}"
            return {"paren": f"({a}) {body}", "plain": f"{a} {body}", "intl": f"+55 {a} {body}",
                    "intl_paren": f"+55 ({a}) {body}", "local": body}[style]  # fmt: skip
        case "JP":
            mid, end = n[:-4], n[-4:]
            return {"dash": f"0{a}-{mid}-{end}", "paren": f"0{a}({mid}){end}",
                    "intl": f"+81-{a}-{mid}-{end}"}[style]  # fmt: skip
        case "VN":
            if p.mobile:
                nat = "0" + a + n
                body = f"{nat[:4]} {nat[4:7]} {nat[7:]}"
                return f"+84 {a}{n[0]} {n[1:4]} {n[4:]}" if style == "intl" else body
            grp = f"{n[:4]} {n[4:]}"
            return {"paren": f"(0{a}) {grp}", "plain": f"0{a} {grp}",
                    "dot": f"0{a}.{n[:4]}.{n[4:]}", "intl": f"+84 {a} {grp}"}[style]  # fmt: skip
        case "RU":
            b = f"{n[:3]}-{n[3:5]}-{n[5:]}"
            return {"plus_paren": f"+7 ({a}) {b}", "eight_paren": f"8 ({a}) {b}",
                    "plus_plain": f"+7 {a} {b}", "eight_dash": f"8-{a}-{b}",
                    "plus_spaced": f"+7 {a} {b.replace('-', ' ')}"}[style]  # fmt: skip
        case "SG":
            body = f"{n[:4]} {n[4:]}"
            return {"plain": body, "intl": f"+65 {body}", "paren": f"(+65) {body}"}[style]
        case "DE":
            ext = f"-{p.ext}" if p.ext else ""
            body = n + ext if not p.mobile else f"{n[:4]} {n[4:]}"
            return {"intl": f"+49 {a} {body}", "intl0": f"+49 (0){a} {body}",
                    "national": f"0{a} {body}", "slash": f"0{a} / {body}"}[style]  # fmt: skip
        case "US":
            x, y = n[:3], n[3:]
            return {"paren": f"({a}) {x}-{y}", "dot": f"{a}.{x}.{y}", "dash": f"{a}-{x}-{y}",
                    "intl": f"+1 {a} {x} {y}",
                    "intl_paren": f"+1 ({a}) {x}-{y}"}[style]  # fmt: skip
        case "GB":
            body = f"{n[:4]} {n[4:]}" if a == "20" else f"{n[:3]} {n[3:]}"
            if p.mobile:
                body = n
            return {"national": f"0{a} {body}", "intl0": f"+44 (0){a} {body}",
                    "intl": f"+44 {a} {body}"}[style]  # fmt: skip
        case "FR":
            d = a + n
            pairs = " ".join(d[i : i + 2] for i in range(1, 9, 2))
            return {"national": f"0{d[0]} {pairs}", "dots": f"0{d[0]}.{pairs.replace(' ', '.')}",
                    "intl0": f"+33 (0){d[0]} {pairs}",
                    "intl": f"+33 {d[0]} {pairs}"}[style]  # fmt: skip
    raise ValueError(f"no phone format for {p.country}")
