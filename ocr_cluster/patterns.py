"""Keywords and shapes that tell card lines apart: titles, companies, addresses, labels.

The tables are per language and country; each regex is built once from its table. A word
list is one signal among several (layout, e-mail, size): it never has to be complete.
"""

from __future__ import annotations

import re
import unicodedata

_L = "A-Za-zА-Яа-яЁёÀ-ÖØ-öø-ÿĀ-ɏḀ-ỿ"  # letters of the scripts cards are printed in (no CJK)
_NOT_LETTER_BEFORE = rf"(?<![{_L}])"
_NOT_LETTER_AFTER = rf"(?![{_L}])"


def _words(table: str) -> str:
    """A whitespace-separated table → one alternation, longest first."""
    items = sorted(set(table.split()), key=len, reverse=True)
    return "|".join(items)


# --- job titles -----------------------------------------------------------------------------

# Russian stems take any ending (директор, директора, директору).
_TITLE_RU = """директор менеджер руководител специалист инженер разработчик администратор
    аналитик адвокат юрист партн[её]р начальник заместител главн ведущ старш младш бухгалтер
    консультант дизайнер программист президент вице председател основател владел координатор
    эксперт советник представител агент маркетолог архитектор технолог нотариус врач
    преподавател профессор редактор продюсер коммерческ генеральн исполнительн финансов
    управляющ заведующ секретар ассистент помощник оператор логист экономист аудитор
    оценщик риелтор брокер бренд"""
# Whole words (with their gender and number endings spelled out).
_TITLE_WORDS = """hr ceo cfo cto coo cmo cio cso cpo cco ciso vp svp evp avp md gm director
    directors manager managers head chief officer engineer developer designer consultant
    specialist analyst attorney lawyer partner founder co-founder cofounder owner president
    vice executive lead senior principal associate assistant coordinator administrator
    architect advisor adviser representative rep agent accountant editor producer scientist
    researcher professor secretary strategist supervisor intern chairman chairwoman treasurer
    controller broker realtor technician programmer planner buyer trader auditor inspector
    solicitor barrister notary paralegal physician dentist therapist pharmacist surveyor
    superintendent foreman lecturer instructor trainer photographer journalist translator
    receptionist
    diretor diretora diretores gerente gerentes vendedor vendedora engenheiro engenheira
    representante consultor consultora coordenador coordenadora supervisora analista
    assistente advogado advogada sócio sócia sócio-gerente proprietário proprietária
    presidente vice-presidente escrevente corretor corretora contador contadora arquiteto
    arquiteta atendente executivo executiva encarregado encarregada fundador fundadora
    médico médica dentista psicólogo psicóloga nutricionista fisioterapeuta enfermeiro
    enfermeira comprador compradora estagiário estagiária desenvolvedor desenvolvedora
    projetista gestor gestora chefe administrador administradora secretária recepcionista
    director directora ingeniero ingeniera abogado abogada socio socia propietario
    propietaria arquitecto arquitecta ejecutivo ejecutiva jefe jefa asesor asesora
    encargado encargada coordinador coordinadora desarrollador desarrolladora programador
    programadora gerenta licenciado licenciada
    directeur directrice responsable ingénieur ingénieure chargé chargée conseiller chef cheffe
    conseillère gérant gérante président présidente fondateur fondatrice associé associée
    avocat avocate comptable technicien technicienne délégué déléguée attaché attachée
    développeur développeuse
    direttore direttrice responsabile amministratore ingegnere consulente titolare avvocato
    avvocata impiegato impiegata
    geschäftsführer geschäftsführerin vorstand prokurist prokuristin inhaber inhaberin
    rechtsanwalt rechtsanwältin mitarbeiter mitarbeiterin assistent assistentin"""
# German compounds end in the title word: Projektleiter, Vertriebsberater, Softwareentwickler.
_TITLE_DE_TAILS = """leiter leiterin führer führerin berater beraterin ingenieur ingenieurin
    entwickler entwicklerin referent referentin manager managerin sachbearbeiter
    sachbearbeiterin"""
# Scripts without spaces: the word anywhere in the line.
_TITLE_CJK = """部長 課長 係長 社長 会長 取締役 代表 専務 常務 執行役員 主任 室長 所長 店長 次長
    顧問 理事 監査役 マネージャー マネジャー エンジニア ディレクター コンサルタント デザイナー
    担当 経理 总经理 經理 经理 总监 總監 董事 总裁 總裁 主管 工程师 工程師 顾问 助理 主席
    秘书 秘書 会计 會計 대표 부장 과장 차장 팀장 이사 실장 본부장 상무 전무 대리"""
# Vietnamese titles are phrases of short syllables.
_TITLE_VI = (
    r"giám\s+đốc|trưởng\s+phòng|phó\s+phòng|kỹ\s+sư|nhân\s+viên|chuyên\s+viên|kế\s+toán|"
    r"quản\s+lý|chủ\s+tịch|trợ\s+lý|tư\s+vấn\s+viên"
)

TITLE_WORDS = re.compile(
    rf"(?i){_NOT_LETTER_BEFORE}(?:(?:{_words(_TITLE_RU)})"
    rf"|(?:{_words(_TITLE_WORDS)}|{_TITLE_VI}){_NOT_LETTER_AFTER}"
    rf"|[{_L}]*(?:{_words(_TITLE_DE_TAILS)}){_NOT_LETTER_AFTER})"
    rf"|{_words(_TITLE_CJK)}"
)

# --- companies ------------------------------------------------------------------------------

# Legal forms that make a line a company name anywhere in it (the form is kept in the name).
_FORMS_STRONG = r"""ООО ОАО ЗАО ПАО НАО НКО АНО ГУП МУП ФГУП ТОО ОДО
    [Гг]руппа\s+компаний [Кк]омпания
    LLC L\.L\.C\. Inc\.? Incorporated Ltd\.? LTD\.? Limited LIMITED GmbH GMBH mbH Corp\.?
    CORP\.? Corporation LLP PLLC PLC plc JSC CJSC PJSC OJSC Pty Pte Sdn\s+Bhd Bhd
    Ltda\.? LTDA\.? Lda\.? S/A S/C S\.A\.? S\.L\.U?\. S\.A\.S\. EIRELI Eireli SARL S\.A\.R\.L\.
    EURL SASU S\.r\.l\. S\.R\.L\. S\.p\.A\. SpA S\.n\.c\. B\.V\. N\.V\. BVBA Oyj? ApS A/S
    K\.K\. Co\.,?\s*Ltd\.? Co\. CO\. Sp\.\s*z\s*o\.o\. A\.Ş\. CÔNG\s+TY Công\s+ty TNHH
    CỔ\s+PHẦN Cổ\s+phần
"""
# Scripts without spaces: the form touches the name (株式会社ABC, ABC有限公司).
_FORMS_CJK = (
    r"株式会社 有限会社 合同会社 合資会社 （株） \(株\) ㈱ 有限公司 股份有限公司 주식회사 \(주\)"
)
# Short or ambiguous forms: AG, SA, AB, ME… count only at the end of the line ("Acme AG"),
# or at the start where the country writes them first (ООО, АО, ИП, PT).
_FORMS_TAIL = r"""AG KG OHG UG SE SA SAS SL SRL BV NV AB AS Oy ASA HB ME EPP MEI LP LC Co
    e\.K\. e\.V\. GbR"""
_FORMS_HEAD = r"АО ИП ЧП PT CV SAS SA SL"
# Words that often end a company name without being a legal form.
_COMPANY_WORDS = r"""[Хх]олдинг [Кк]орпорация [Фф]ирма [Аа]гентство [Сс]тудия [Зз]авод [Бб]юро
    [Цц]ентр Holdings? Group GROUP Partners Associates Company Studio Agency Labs? Solutions
    SOLUTIONS Ventures Technologies Systems Consulting Publishing Software Works Dynamics
    Industries Enterprises Trading TRADING Importers Exporters International Global
    Comércio Comercial Indústria Serviços Soluções Tecnologia Consultoria Engenharia
    Distribuidora Construtora Imobiliária Grupo Servicios Soluciones Consultores Gruppe
    Associés Asociados Associados Cie\.? Cia\.? Cía\.?"""
_COMPANY_CJK = "集团 集團 公司 グループ"

STRONG_COMPANY_FORMS = re.compile(
    rf"(?<![\w])(?:{_words(_FORMS_STRONG)})(?![\w])"
    rf"|(?<![\w])(?:{_words(_FORMS_TAIL)})\.?\s*$"
    rf"|^\s*(?:{_words(_FORMS_HEAD)})(?=\s|$)"
    r"|(?<![\w])(?:АО|ИП)(?=\s+[«\"“])"
    rf"|{_words(_FORMS_CJK)}"
)
COMPANY_FORMS = re.compile(
    rf"{STRONG_COMPANY_FORMS.pattern}|(?<![\w])(?:{_words(_COMPANY_WORDS)})(?![\w])"
    rf"|{_words(_COMPANY_CJK)}"
)
_NAME_END = re.compile(rf"(?:{STRONG_COMPANY_FORMS.pattern})\W*$|[»\"”]\s*$")


def ends_name(text: str) -> bool:
    """A firm's name that is complete: the name, then its legal form or closing quote
    ("Eletrônica ADACHI Ltda.", "ООО «Ромашка»"); a form alone ("CÔNG TY TNHH") is not."""
    own = sum(ch.isalpha() for ch in STRONG_COMPANY_FORMS.sub("", text))
    if re.search(r"(?:[&+,]|\s(?:and|und|et|e|y))\s*$", text):
        return False  # "Schwarke & Göttmeier GmbH &" / "Co. KG" goes on
    return own >= 2 and _NAME_END.search(text) is not None


QUOTED = re.compile(r"[«\"“„][^«»\"“”„]{2,}[»\"”“]")

# What a shop or firm is (a trade, not a person): "Auto Peças", "Restaurante", "Buffet".
_BUSINESS = """auto autos autopeças peças pecas mecânica funilaria pintura oficina restaurante
    restaurant ristorante café cafe bar pizzaria padaria bakery buffet eventos hotel
    pousada salão salon studio estúdio clínica clinic clinica consultório farmácia pharmacy
    drogaria loja store shop boutique market mercado supermercado eletrônica electronics
    informática imóveis imobiliária construtora engenharia advocacia contabilidade
    escritório transportes logística distribuidora comércio indústria serviços services
    tecnologia technology design marketing consultoria academia escola school instituto
    institute universidade university hospital laboratório laboratory gráfica editora
    seguros insurance banco bank cartório tabelionato despachante acessórios ótica
    óptica optica floricultura veterinária móveis decorações festas turismo viagens
    travel tours motors imports foods alimentos moda confecções calçados assistência
    refrigeração refrigeration tintas materiais construção elétrica lavanderia pneus vidros
    cabinet"""
BUSINESS_WORDS = re.compile(rf"(?i){_NOT_LETTER_BEFORE}(?:{_words(_BUSINESS)}){_NOT_LETTER_AFTER}")

# A department or division is printed under the title, never the company itself.
DEPARTMENT = re.compile(
    r"(?i)^service\s+(?-i:[a-zé])|^servicio\s+de\s"  # "Service commercial": a department
    rf"|{_NOT_LETTER_BEFORE}(?:department|dept\.?|division|departamento|depto\.?|divisão|"
    rf"división|setor|abteilung|отдел|департамент|управление){_NOT_LETTER_AFTER}"
    r"|^[^\sA-Za-z]{1,8}(?:部|課|室|科|处|部门)$"
)

# --- slogans, lists, landmarks --------------------------------------------------------------

FUNCTION_WORDS = frozenset(
    """a o e de da do das dos em no na para com por que à ao aos the and of for with your our
    we you to in on by is are it el la los las y en con del al le les des et pour avec du
    sur der die das und für mit von zu im ist ihr vor unser wir sie и в на с по для от мы
    вас""".split()
)


# Slogans talk to the reader: "Ihr Partner vor Ort", "Your partner in logistics".
_PRONOUNS = frozenset(
    """your our you we us ihr ihre unser unsere wir sie votre notre vos nos vous nous seu sua
    nosso nossa você vocês su sus nuestro nuestra ваш ваша наш наша мы вы""".split()
)


def is_sentence(text: str) -> bool:
    """A slogan or a description rather than a name: "Design. Build. Deliver.", "We fix it
    all!", or a run of words with several small ones between them."""
    t = STRONG_COMPANY_FORMS.sub("", text).strip()  # "Ltda." and "Corp." end no sentence
    words = re.findall(rf"[{_L}]+", t)
    if t.endswith(("!", "?", "…", "...")) or re.search(r"[a-zà-ÿа-яё]{3}[.!?]\s+\S", t):
        return True
    small = sum(w.lower() in FUNCTION_WORDS for w in words)
    if re.search(r"[^\W\d_]{3}\.$", t) and len(words) >= 4 and small:  # not "C.V.", "Jr."
        return True
    # Long runs of capitals are names of firms (Vietnamese ones run long), not sentences.
    return (len(words) >= 5 and small >= 2) or len(words) >= (12 if t.isupper() else 8)


def speaks_to_reader(text: str) -> bool:
    """ "Ihr Partner vor Ort": a slogan, though it holds a title word. (Not for firms'
    names: "Nossa Senhora de Fátima" is one.)"""
    words = re.findall(rf"[{_L}]+", text)
    return len(words) >= 3 and any(w.lower() in _PRONOUNS for w in words)


def is_prose(text: str) -> bool:
    """Mostly lower-case words: a tagline ("Tudo é possível àquele que crê"), not a name.
    (Titles are often printed so, "Ведущий специалист отдела продаж": not for them.)"""
    words = re.findall(rf"[{_L}]+", STRONG_COMPANY_FORMS.sub("", text))  # "Sp. z o.o."
    lower = sum(w[0].islower() for w in words)
    return is_sentence(text) or (len(words) >= 4 and 2 * lower >= len(words))


def is_list(text: str) -> bool:
    """A list of products or services: "TV-SOM-COMPUTADOR", "Controles p/ TV, DVD, NET"."""
    return (
        text.count(",") >= 2
        or re.search(r"(?i)(?<![a-z])p/\s", text) is not None
        or len(re.findall(r"\s[-–]\s", text)) >= 2
        or len(re.findall(rf"[{_L}]-[{_L}]", text)) >= 3
    )


LANDMARK = re.compile(
    r"(?i)^\W*(?:próximo|proximo|próx\.?|prox\.?|perto|ao lado|em frente|frente a|esquina|"
    r"near|next to|opposite|across from|cerca de|junto a|enfrente|près de|напротив|рядом с)"
    rf"{_NOT_LETTER_AFTER}"
)
PARENTHESES = re.compile(r"\([^()]*\)?")

# --- addresses ------------------------------------------------------------------------------

_ADDRESS_WORDS = r"""г\. ул\. улица пр-т пр-кт проспект пр\. пер\. переулок наб\. набережная ш\.
    шоссе бульвар б-р бул\. д\. дом офис оф\. стр\. строение корп\. корпус кв\. пл\. площадь
    проезд тупик россия обл\. область край р-н район мкр
    street st\. avenue ave\.? road rd\. lane boulevard blvd\.? drive way place square
    court suite ste\. floor fl\. level building bldg\.? unit tower plaza highway hwy parkway
    pkwy p\.?o\.\s*box row crescent terrace mews parade grove gardens close wharf quay
    straße strasse str\. weg platz allee gasse
    av\.? avenida rua r\. al\. alameda travessa tv\. trav\. rod\. rodovia estrada estr\.
    praça pça\.? largo cep bairro jardim jd\.? vila vl\. sala sl\. conj\.? conjunto andar
    bloco quadra qd\. lote km nº n° n\.º chome bldg
    calle c/ avda\.? carrera cra\. colonia col\. piso depto\.? dpto\.? c\.p\. paseo camino
    carretera barrio
    rue bd allée chemin impasse quai cedex route étage bâtiment
    via viale piazza corso vicolo
    straat laan plein gracht kade
    đường phường quận huyện tp\. thành\s+phố tầng lầu tòa\s+nhà tỉnh ngõ hẻm
    united\s+kingdom england scotland germany deutschland usa united\s+states russia brasil
    brazil portugal españa spain méxico mexico france italia italy nederland japan vietnam
    việt\s+nam singapore malaysia australia canada"""
ADDRESS_MARKERS = re.compile(
    rf"(?i){_NOT_LETTER_BEFORE}(?:{_words(_ADDRESS_WORDS)})(?![{_L}])"
    r"|(?<![\w])[A-Za-zäöüß]{3,}(?:straße|strasse|str\.|weg|platz|allee|gasse)(?![\w])"
    r"|(?<![\w])[A-Za-z]{3,}-(?:ku|shi|cho|machi|gun|ken)(?![\w])"  # Japanese wards in Latin
    # German streets without a street word: "Kirchring 15", "Am Ahorntor 8".
    r"|(?-i:(?<![\w])[A-ZÄÖÜ][a-zäöüß]{2,}(?:ring|damm|ufer|markt|steig|stieg|chaussee|tor|"
    r"berg|hof|feld|graben|kamp|wall|garten)\s+\d)"
    r"|(?-i:^(?:Am|An der|Auf der|Auf dem|Im|In der|Zum|Zur)\s+[A-ZÄÖÜ]\w+\s+\d)"
    r"|(?-i:(?:[-/,]\s*|\s)(?:AC|AL|AP|AM|BA|CE|DF|ES|GO|MA|MT|MS|MG|PA|PB|PR|PE|PI|RJ|RN|RS|RO|"
    r"RR|SC|SP|SE|TO)\.?\s*(?:[-,]|$))"  # a Brazilian state after its city: "São Paulo - SP"
)
# In scripts without spaces the markers sit inside words: 東京都千代田区丸の内1丁目.
CJK_ADDRESS = re.compile(r"〒|丁目|番地|都|道|府|県|市|区|町|村|ビル|階|省|县|路|街|号|楼|室|大厦")
US_STATE_ZIP = re.compile(r"\b[A-Z]{2}\s+\d{5}(?:-\d{4})?\b")
UK_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b")
DE_POSTCODE = re.compile(r"\b\d{5}\s+[A-ZÄÖÜ][a-zäöüß]+")
RU_POSTCODE = re.compile(r"(?<!\d)\d{6}(?!\d)")
# Postal codes that make a line an address whatever its language.
POSTCODE = re.compile(
    r"(?<![\w])(?i:cep|c\.p\.|cp|zip|plz)\s*[:.]?\s*[\dOI]{2}[\dOI.]{3,4}-?[\dOI]{3}"
    r"|(?<!\d)\d{5}-\d{3}(?!\d)"  # Brazilian CEP
    r"|〒\s*\d{3}-?\d{4}"  # Japan
    r"|(?i:singapore)\s+\d{6}(?!\d)"
    r"|\b[A-Z]\d[A-Z]\s?\d[A-Z]\d\b"  # Canada
    r"|\b\d{4}\s?[A-Z]{2}\b(?=\s+[A-Z][a-z])"  # Netherlands: "1012 AB Amsterdam"
    rf"|{US_STATE_ZIP.pattern}|{UK_POSTCODE.pattern}|{DE_POSTCODE.pattern}"
)
SG_UNIT = re.compile(r"#\d{1,3}-\d{1,4}\b")
ADDRESS_LABEL = re.compile(
    r"(?i)^\s*(?:адрес|address|addr|add|adr|офис|office|a|endereço|endereco|end|dirección|"
    r"direccion|dir|adresse|anschrift|indirizzo|sede|địa\s+chỉ|đ/c|住所|地址|所在地)\s*[.:：]\s*"
)

# Labels printed before values; stripped before a line is judged.
ANY_LABEL = re.compile(
    r"(?i)^\s*(?:e-?mail|email|эл\.?\s*почта|почта|web|website|site|сайт|url|www|"
    r"tel|phone|mobile|mob|cell|тел|телефон|моб|факс|fax|адрес|address|skype|telegram|"
    r"fone|fones|cel|celular|whatsapp|wpp|móvil|movil|tél|handy|pabx|ph|"
    r"電話|携帯|手机|电话|传真|điện\s+thoại|đt|dđ)\s*[.:：]\s*"
)
# A phone number inside a line that also holds other text ("Rua X, 10 - Tel: 2131-3400").
PHONE_INSIDE = re.compile(
    r"(?i)(?<![a-zа-яё])(?:tel|tel/fax|fone|fone/fax|fones|phone|cel|celular|mob|mobile|fax|"
    r"факс|тел|pabx|whatsapp|ph)\.?\s*[:.]?\s*[+(\d]"
)
SOCIAL_LINE = re.compile(
    r"(?i)(telegram|skype|whatsapp|viber|instagram|vk\.com|t\.me|facebook|linkedin|"
    r"twitter|tg\s*:|@[a-z0-9_]{3,}$)"
)
TAX_LINE = re.compile(
    rf"(?i){_NOT_LETTER_BEFORE}(?:инн|огрн|кпп|окпо|бик|р/с|к/с|inn|ogrn|vat|reg\.?\s*no|iban|"
    rf"cnpj|cpf|mst|ust-?id|ust-?idnr|siret|siren|abn|gst|uen|hrb|hra|amtsgericht|"
    rf"handelsregister|registergericht|steuernummer|rcs|tva|p\.?\s?iva|codice fiscale|"
    rf"kvk|nif|rfc|nmls|st\.?-?nr|registered in|company no){_NOT_LETTER_AFTER}"
    rf"|{_NOT_LETTER_BEFORE}licen[cs]e\s*(?:no\.?|number|#)?\s*[:#]?\s*\d"
    r"|登録番号|法人番号|統一編號|税号|사업자"
    rf"|{_NOT_LETTER_BEFORE}(?:crea|crm|oab|cau)\s*[-:/]?\s*[A-Z]{{0,3}}\s*\d"  # Brazilian councils
)
# Opening hours and "by appointment": when to come, not where or who.
HOURS_LINE = re.compile(
    r"(?i)(\d{1,2}[:.h]\d{2}\s*(?:[-–—]|às|as|a|to|bis)\s*\d{1,2}[:.h]\d{2}"
    r"|\d{1,2}\s*[-–—]\s*\d{1,2}\s*(?:uhr|h)\b|24\s*(?:horas|h|/7)\b"
    rf"|{_NOT_LETTER_BEFORE}(?:пн|вт|ср|чт|пт|сб|вс|mon|tue|wed|thu|fri|sat|sun|mo|di|mi|do|fr|"
    r"sa|so|seg|ter|qua|qui|sex|sáb|dom|lun|mar|mié|jue|vie)\.?\s*[-–—]\s*\w"
    r"|segunda a|segunda à|de segunda|lunes a|режим работы|часы работы|opening hours|"
    r"office hours|horário|horario|by appointment|sur rendez-vous|nach vereinbarung|"
    r"sprechzeiten|öffnungszeiten|giờ làm việc|営業時間|受付時間|\d\s*(am|pm)\b)"
)
ADDRESS_TAIL = re.compile(
    r"(?i)^\s*(united kingdom|england|scotland|wales|germany|deutschland|usa|united states|"
    r"россия|russia|brasil|brazil|japan|日本|vietnam|việt nam|singapore|"
    r"[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2})\W*$|\b[A-Z]{2}\s+\d{5}\b|"
    r"^\s*\d{5,6}\b"
)


def has_cyrillic(text: str) -> bool:
    return re.search(r"[А-Яа-яЁё]", text) is not None


def has_latin(text: str) -> bool:
    return re.search(r"[A-Za-z]", text) is not None


def has_cjk(text: str) -> bool:
    return re.search(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]", text) is not None


_TRANSLIT = str.maketrans(
    {"а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z",
     "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
     "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
     "щ": "sch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya"}
)  # fmt: skip


def latin(text: str, umlauts: bool = False) -> str:
    """Lower-case Latin letters and digits only, Cyrillic transliterated: how a name is
    spelled in an e-mail address or a domain ("Софтгрупп" → "softgrupp"). `umlauts`:
    German style, "Hofstädt" → "hofstaedt"."""
    if umlauts:
        text = text.lower().translate(_UMLAUTS)
    return re.sub(r"[^a-z0-9]", "", fold(text).translate(_TRANSLIT))


_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


# Letters with a stroke do not decompose into a letter and an accent.
_STROKES = str.maketrans({"đ": "d", "ł": "l", "ø": "o", "ß": "ss"})


def fold(text: str) -> str:
    """Lower case without accents, for comparing words with tables and e-mail addresses."""
    text = text.lower().translate(_STROKES)
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def address_score(text: str) -> int:
    """How much a line says "I am an address": markers, postal codes, house numbers."""
    if "@" in text or re.search(r"(?i)https?://|www\.", text):
        return 0
    hits = len(ADDRESS_MARKERS.findall(text))
    if re.search(r"\d|〒|丁目|番地", text):  # 市, 村, 道 alone also sit in people's names
        hits += len(CJK_ADDRESS.findall(text))
    hits += 2 * bool(POSTCODE.search(text) or SG_UNIT.search(text))
    hits += 2 * bool(RU_POSTCODE.search(text) and has_cyrillic(text))
    return hits


def is_address(text: str) -> bool:
    hits = address_score(text)
    if hits >= 2:
        return True
    has_number = re.search(r"\d", text) is not None
    return hits >= 1 and has_number and not TITLE_WORDS.search(text)


# --- letters OCR'd in the wrong alphabet ----------------------------------------------------

_LAT_TWINS = "AaBEeKkMHOoPpCcTyXxY"
_CYR_TWINS = "АаВЕеКкМНОоРрСсТуХхУ"
_LAT2CYR = str.maketrans(_LAT_TWINS, _CYR_TWINS)
_CYR2LAT = str.maketrans(_CYR_TWINS, _LAT_TWINS)
_LATIN_ONLY = re.compile(rf"[A-Za-z](?<![{_LAT_TWINS}])")
_CYRILLIC_ONLY = re.compile(rf"[А-Яа-яЁё](?<![{_CYR_TWINS}])")


def script_votes(text: str) -> tuple[int, int]:
    """(Latin, Cyrillic) letters that only one alphabet has: they tell the script."""
    return len(_LATIN_ONLY.findall(text)), len(_CYRILLIC_ONLY.findall(text))


def _script(text: str) -> str | None:
    lat, cyr = script_votes(text)
    return "lat" if lat > cyr else "cyr" if cyr > lat else None


def fix_scripts(text: str, card_script: str | None = None) -> str:
    """Words OCR'd in the wrong alphabet ("АРЕХ ТRАDING", Latin "AO", Cyrillic "К." in
    "Rebecca К. Hughes") are moved to one alphabet, when every letter has a twin.

    Each word goes to the alphabet its own unambiguous letters name; a word of twins only
    follows its line, and a line of twins only follows the card (``card_script``)."""
    if "@" in text or re.search(r"(?i)www|https?:|\.(com|ru|org|net)", text):
        return text
    words = text.split(" ")
    line = _script(text)
    if line is None:
        # No letter decides: the alphabet most of the line's twins are printed in, else the card's.
        lat = sum(len(w) for w in words if has_latin(w) and not has_cyrillic(w))
        cyr = sum(len(w) for w in words if has_cyrillic(w) and not has_latin(w))
        line = card_script or ("lat" if lat > cyr else "cyr" if cyr > lat else None)
    out = []
    for w in words:
        target = _script(w) or line
        if target == "lat" and has_cyrillic(w):
            fixed = w.translate(_CYR2LAT)
            w = fixed if not has_cyrillic(fixed) else w
        elif target == "cyr" and has_latin(w):
            fixed = w.translate(_LAT2CYR)
            w = fixed if not has_latin(fixed) else w
        out.append(w)
    fixed = " ".join(out)
    # "000 «Ромашка»": zeros read for the letters of a legal form.
    return re.sub(r"^0{2,3}(?=\s+[«\"“А-ЯЁ])", "ООО", fixed)


def collapse_spacing(text: str) -> str:
    """Letter-spaced print ("C O N T O S O   L T D") back into words."""
    words = text.split()
    if len(words) < 4 or any(len(w) > 1 or not w.isalpha() for w in words):
        return text
    return " ".join(part.replace(" ", "") for part in re.split(r"\s{2,}", text.strip()))
