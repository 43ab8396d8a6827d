"""What cards say besides the contact itself, per country: titles, departments, labels,
slogans, opening hours and registration numbers (the last three are no field at all)."""

from __future__ import annotations

import random

# (masculine, feminine, English) - the English reading is printed on bilingual cards.
TITLES: dict[str, list[tuple[str, str, str]]] = {
    "BR": [("Diretor Comercial", "Diretora Comercial", "Sales Director"),
           ("Gerente de Vendas", "Gerente de Vendas", "Sales Manager"),
           ("Consultor Técnico", "Consultora Técnica", "Technical Consultant"),
           ("Analista Financeiro", "Analista Financeira", "Financial Analyst"),
           ("Sócio-Diretor", "Sócia-Diretora", "Managing Partner"),
           ("Representante Comercial", "Representante Comercial", "Sales Representative"),
           ("Engenheiro de Projetos", "Engenheira de Projetos", "Project Engineer"),
           ("Coordenador de Marketing", "Coordenadora de Marketing", "Marketing Coordinator")],
    "JP": [(t, t, e) for t, e in [
           ("代表取締役社長", "President & CEO"), ("取締役", "Director"),
           ("部長", "General Manager"), ("課長", "Manager"), ("主任", "Supervisor"),
           ("営業担当", "Sales Representative"), ("技術主任", "Chief Engineer"),
           ("係長", "Assistant Manager")]],
    "VN": [(t, t, e) for t, e in [
           ("Giám đốc", "Director"), ("Phó Giám đốc", "Deputy Director"),
           ("Trưởng phòng Kinh doanh", "Head of Sales"), ("Kế toán trưởng", "Chief Accountant"),
           ("Nhân viên Kinh doanh", "Sales Executive"),
           ("Trưởng phòng Kỹ thuật", "Head of Engineering"),
           ("Tổng Giám đốc", "General Director")]],
    "RU": [(t, t, e) for t, e in [
           ("Генеральный директор", "General Director"),
           ("Менеджер по продажам", "Sales Manager"), ("Главный бухгалтер", "Chief Accountant"),
           ("Руководитель отдела закупок", "Head of Procurement"),
           ("Инженер-конструктор", "Design Engineer"),
           ("Коммерческий директор", "Commercial Director"),
           ("Ведущий специалист", "Senior Specialist")]],
    "SG": [(t, t, t) for t in [
           "Business Development Manager", "Senior Project Engineer", "Director",
           "Operations Executive", "Regional Sales Manager", "Managing Director",
           "Account Manager"]],
    "DE": [("Geschäftsführer", "Geschäftsführerin", "Managing Director"),
           ("Vertriebsleiter", "Vertriebsleiterin", "Head of Sales"),
           ("Projektleiter", "Projektleiterin", "Project Manager"),
           ("Leiter Einkauf", "Leiterin Einkauf", "Head of Purchasing"),
           ("Steuerberater", "Steuerberaterin", "Tax Advisor"),
           ("Prokurist", "Prokuristin", "Authorised Officer"),
           ("Technischer Leiter", "Technische Leiterin", "Technical Director")],
    "US": [(t, t, t) for t in [
           "VP, Business Development", "Senior Account Executive", "Chief Technology Officer",
           "Regional Sales Manager", "Operations Director", "Principal Architect",
           "Client Success Manager", "Owner"]],
    "GB": [(t, t, t) for t in [
           "Managing Director", "Head of Operations", "Senior Surveyor", "Account Manager",
           "Director of Finance", "Practice Manager", "Senior Associate"]],
    "FR": [("Directeur commercial", "Directrice commerciale", "Sales Director"),
           ("Responsable des achats", "Responsable des achats", "Purchasing Manager"),
           ("Chef de projet", "Cheffe de projet", "Project Manager"),
           ("Gérant", "Gérante", "Manager"),
           ("Ingénieur d'affaires", "Ingénieure d'affaires", "Account Engineer"),
           ("Chargé de clientèle", "Chargée de clientèle", "Account Manager"),
           ("Expert-comptable", "Experte-comptable", "Chartered Accountant")],
}  # fmt: skip

DEPARTMENTS = {
    "BR": ["Departamento Comercial", "Setor de Compras", "Assistência Técnica"],
    "JP": ["営業部", "第二営業部", "技術開発部", "海外事業部"],
    "VN": ["Phòng Kinh doanh", "Phòng Kỹ thuật", "Chi nhánh Miền Bắc"],
    "RU": ["Отдел продаж", "Департамент логистики", "Служба качества"],
    "SG": ["Sales & Marketing Division", "Engineering Department"],
    "DE": ["Vertrieb Innendienst", "Abteilung Einkauf", "Kundenservice"],
    "US": ["Enterprise Sales", "Engineering Department", "Customer Success"],
    "GB": ["Client Services", "Commercial Property Team"],
    "FR": ["Service commercial", "Direction technique", "Pôle achats"],
}

SLOGANS = {
    "BR": ["Qualidade e confiança desde {year}", "Soluções que movem o seu negócio",
           "Atendimento rápido e garantido", "Peças e serviços com garantia"],
    "JP": ["信頼と技術で未来をつくる", "創業{year}年", "品質第一", "ものづくりの未来へ"],
    "VN": ["Uy tín - Chất lượng - Tận tâm", "Thành lập năm {year}",
           "Giải pháp toàn diện cho doanh nghiệp"],
    "RU": ["Надёжность с {year} года", "Качество, проверенное временем", "Работаем для вас"],
    "SG": ["Excellence since {year}", "Your trusted partner in Asia",
           "Engineering a better tomorrow"],
    "DE": ["Seit {year} für Sie da", "Qualität aus Leidenschaft", "Ihr Partner vor Ort"],
    "US": ["Building better since {year}", "Trusted by businesses nationwide",
           "Smart solutions, real results"],
    "GB": ["Established {year}", "Independent advice you can trust",
           "Delivering excellence across the UK"],
    "FR": ["Depuis {year}", "L'excellence au service de vos projets",
           "Votre partenaire de confiance"],
}  # fmt: skip

HOURS = {
    "BR": ["Seg. a Sex. das 8h às 18h", "Sáb. das 8h às 12h", "Atendimento 24 horas"],
    "JP": ["営業時間 9:00～18:00", "定休日 土・日・祝"],
    "VN": ["Giờ làm việc: 8:00 - 17:30", "Thứ 2 - Thứ 7: 7:30 - 17:00"],
    "RU": ["Режим работы: пн–пт 9:00–18:00", "Без выходных, 10:00–21:00"],
    "SG": ["Mon–Fri 9am–6pm", "Sat 9am–1pm"],
    "DE": ["Mo–Fr 8–17 Uhr", "Sprechzeiten nach Vereinbarung"],
    "US": ["Open Mon–Sat 10am–7pm", "By appointment only"],
    "GB": ["Open Mon–Fri 9:00–17:30", "Saturday 10:00–14:00"],
    "FR": ["Du lundi au vendredi, 9h–18h", "Sur rendez-vous"],
}


def _n(r: random.Random, k: int) -> str:
    return "".join(r.choice("0123456789") for _ in range(k))


def _cnpj(r: random.Random) -> str:
    """A CNPJ with correct check digits: it looks exactly like a real one, and is no phone."""
    base = [r.randrange(10) for _ in range(8)] + [0, 0, 0, 1]
    for weights in ([5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2], [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]):
        s = sum(d * w for d, w in zip(base, weights, strict=False)) % 11
        base.append(0 if s < 2 else 11 - s)
    d = "".join(map(str, base))
    return f"{d[:2]}.{d[2:5]}.{d[5:8]}/{d[8:12]}-{d[12:]}"


def registration(cc: str, r: random.Random) -> str:
    """A tax or company registration line: digits that are never a phone number."""
    n = lambda k: _n(r, k)  # noqa: E731
    options = {
        "BR": [f"CNPJ: {_cnpj(r)}", f"CNPJ {_cnpj(r)}",
               f"CNPJ: {_cnpj(r)} - I.E. {n(3)}.{n(3)}.{n(3)}.{n(3)}"],
        "JP": [f"登録番号 T{n(13)}", f"適格請求書発行事業者 T{n(13)}"],
        "VN": [f"MST: 03{n(8)}", f"Mã số thuế: 01{n(8)}"],
        "RU": [f"ИНН 77{n(8)}", f"ИНН 78{n(8)} / КПП 78{n(7)}", f"ОГРН 10277{n(8)}"],
        "SG": [f"UEN: 2019{n(5)}K", f"Co. Reg. No. 2015{n(5)}M", f"GST Reg. No. M9-{n(7)}-X"],
        "DE": [f"USt-IdNr. DE{n(9)}", f"HRB {n(5)}, Amtsgericht Köln", f"St.-Nr. {n(3)}/{n(4)}"],
        "US": [f"License #{n(6)}", f"NMLS ID {n(6)}", f"DOT #{n(7)}"],
        "GB": [f"Registered in England No. {n(8)}", f"VAT No. GB {n(3)} {n(4)} {n(2)}"],
        "FR": [f"SIRET {n(3)} {n(3)} {n(3)} {n(5)}", f"RCS Lyon B {n(3)} {n(3)} {n(3)}"],
    }  # fmt: skip
    return r.choice(options[cc])


def handle(cc: str, slug: str, r: random.Random) -> str | None:
    """A messenger or social handle, which is no field either."""
    options = {
        "BR": [f"Instagram: @{slug}", f"@{slug}"],
        "JP": [f"LINE ID: {slug}"],
        "RU": [f"Telegram: @{slug}", f"VK: vk.com/{slug}"],
        "US": [f"@{slug}"],
        "FR": [f"Instagram : @{slug}"],
    }
    return r.choice(options[cc]) if cc in options else None


# Labels before a number; the empty label is for cards that print icons instead.
PHONE_LABELS = {
    "BR": ["Tel.:", "Fone:", "Tel:", "T."], "JP": ["TEL", "TEL:", "Tel.", "電話"],
    "VN": ["ĐT:", "Tel:", "Điện thoại:", "T:"], "RU": ["Тел.:", "Тел.", "т.", "Телефон:"],
    "SG": ["Tel:", "T:", "DID:", "Office:"], "DE": ["Tel.", "Telefon", "T", "Fon"],
    "US": ["Office", "O:", "Tel", "P:", "Direct"], "GB": ["T:", "Tel:", "Tel", "DD:"],
    "FR": ["Tél. :", "Tél :", "Tél.", "T."],
}  # fmt: skip
MOBILE_LABELS = {
    "BR": ["Cel.:", "Celular:", "WhatsApp:", "Cel"], "JP": ["携帯", "Mobile", "M."],
    "VN": ["DĐ:", "Di động:", "Mobile:", "Hotline:"], "RU": ["Моб.:", "Моб.", "м.", "Мобильный:"],
    "SG": ["Mobile:", "HP:", "H/P:", "M:"], "DE": ["Mobil", "M", "Handy"],
    "US": ["Cell", "C:", "Mobile", "M:"], "GB": ["M:", "Mob:", "Mobile:"],
    "FR": ["Mob. :", "Portable :", "Port.", "M."],
}  # fmt: skip
FAX_BEFORE = {
    "BR": ["Fax:", "Fax", "F.", "f."], "JP": ["FAX", "FAX:", "F"], "VN": ["Fax:", "F:"],
    "RU": ["Факс:", "Факс", "ф."], "SG": ["Fax:", "F:", "传真:", "传真 Fax:"],
    "DE": ["Fax", "F", "Telefax"],
    "US": ["Fax", "F:", "F"], "GB": ["F:", "Fax:", "f."], "FR": ["Fax :", "Fax", "F."],
}  # fmt: skip
FAX_AFTER = {"BR": "(fax)", "JP": "(FAX)", "VN": "(Fax)", "RU": "(факс)", "SG": "(fax)",
             "DE": "(Fax)", "US": "fax", "GB": "(fax)", "FR": "(fax)"}  # fmt: skip
EMAIL_LABELS = {
    "BR": ["E-mail:", "Email:"], "JP": ["E-mail:", "Mail:", "メール"], "VN": ["Email:", "E:"],
    "RU": ["E-mail:", "Эл. почта:"], "SG": ["Email:", "E:"], "DE": ["E-Mail", "E-Mail:", "M"],
    "US": ["Email", "E:"], "GB": ["E:", "Email:"], "FR": ["E-mail :", "Mél. :", "Courriel :"],
}  # fmt: skip
WEB_LABELS = {
    "BR": ["Site:", ""], "JP": ["URL", "Web:", ""], "VN": ["Web:", "Website:"],
    "RU": ["Сайт:", ""], "SG": ["Web:", "W:"], "DE": ["Web", "Internet:", "W"],
    "US": ["Web", "W:"], "GB": ["W:", "Web:"], "FR": ["Site :", "Web :"],
}  # fmt: skip
ROLE_MAILBOXES = {
    "BR": ["contato", "vendas", "comercial", "atendimento"], "JP": ["info", "sales", "contact"],
    "VN": ["info", "lienhe", "sales"], "RU": ["info", "office", "sales", "zakaz"],
    "SG": ["enquiry", "sales", "info"], "DE": ["info", "kontakt", "vertrieb"],
    "US": ["info", "sales", "hello"], "GB": ["enquiries", "info", "hello"],
    "FR": ["contact", "accueil", "info"],
}  # fmt: skip
