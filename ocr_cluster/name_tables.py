"""Word lists about people's names. Each is one signal among several (layout, e-mail, size):
most real names are in none of them, so they only ever add evidence, never decide alone.

Latin-script entries are lower case without accents (compare with ``patterns.fold``).
"""

from __future__ import annotations


def _table(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Common given names: enough to tell "Ирина Орлова" from "Добровольская Людмила".
RU_FIRST = _table(
    """александр алексей анатолий андрей антон аркадий арсений артём артем борис вадим
    валентин валерий василий виктор виталий владимир владислав всеволод вячеслав геннадий
    георгий герман глеб григорий даниил денис дмитрий евгений егор иван игорь илья кирилл
    константин лев леонид максим марк матвей михаил никита николай олег павел пётр петр
    роман руслан сергей семён семен станислав степан тимофей тимур фёдор федор филипп эдуард
    юрий ярослав александра алёна алена алина алла анастасия ангелина анна антонина валентина
    валерия варвара вера вероника виктория галина дарья диана ева евгения екатерина елена
    елизавета жанна зоя инна ирина карина кира кристина ксения лариса лидия любовь людмила
    маргарита марина мария милана надежда наталья наталия нина оксана олеся ольга полина
    раиса светлана софия софья тамара татьяна ульяна юлия яна"""
)
LATIN_FIRST = _table(
    # English
    """james john robert michael william david richard joseph thomas charles christopher
    daniel matthew anthony mark donald steven paul andrew joshua kenneth kevin brian george
    timothy ronald edward jason jeffrey ryan jacob gary nicholas eric jonathan stephen larry
    justin scott brandon benjamin samuel gregory alexander frank patrick raymond jack dennis
    jerry tyler aaron henry peter adam nathan oliver harry chris alex sam tom mike dave
    mary patricia jennifer linda elizabeth barbara susan jessica sarah karen lisa nancy betty
    margaret sandra ashley kimberly emily donna michelle carol amanda dorothy melissa deborah
    stephanie rebecca sharon laura cynthia kathleen amy angela shirley anna brenda pamela emma
    nicole helen samantha katherine christine debra rachel carolyn janet catherine maria
    heather diane ruth julie olivia joyce virginia victoria kelly lauren christina joan
    evelyn judith megan andrea cheryl hannah jacqueline martha gloria teresa ann sara madison
    frances kathryn janice jean abigail alice julia judy sophia grace denise amber doris
    marilyn danielle beverly isabella theresa diana natalie brittany charlotte marie kayla
    alexis lori sophie jordan taylor morgan casey jamie
    """
    # German, Dutch, Nordic
    """jan lukas felix max tobias jonas hans klaus jurgen stefan uwe wolfgang dieter markus
    florian sebastian matthias katharina julia lena lea claudia sabine petra monika ursula
    anke birgit heike silke anja jens sven lars nils erik anders johan pieter willem
    """
    # French, Italian
    """jean pierre michel philippe alain nicolas francois laurent olivier julien antoine
    thierry christophe sylvie nathalie isabelle valerie celine camille chloe manon
    giuseppe giovanni francesco antonio mario luigi marco luca alessandro matteo andrea
    giulia francesca chiara paola elena
    """
    # Portuguese, Spanish
    """jose joao antonio francisco carlos paulo pedro lucas luiz luis marcos gabriel rafael
    daniel marcelo bruno eduardo felipe rodrigo gustavo fernando fabio ricardo andre
    leonardo thiago tiago diego sergio roberto marcio mauricio alexandre vinicius guilherme
    mateus matheus caio vitor victor leandro julio cesar jorge manuel miguel juan javier
    alejandro alberto raul enrique pablo ramon
    anderson wellington wagner wesley cleber edson nelson adriano everton renato reinaldo
    claudio sandro william
    maria ana francisca antonia adriana juliana marcia fernanda patricia aline sandra
    camila amanda bruna jessica leticia julia luciana vanessa mariana gabriela beatriz
    larissa rafaela carla simone daniela debora tatiana renata eliane paula cristina
    carmen lucia rosa isabel elena sofia valentina natalia claudia silvia monica veronica
    """
    # Japanese (romaji)
    """hiroshi takashi kenji kenichi koji yuji takeshi satoshi makoto kazuo akira naoki
    yusuke daisuke shinji tetsuya hideki masato ryota shota kaito haruto taro ichiro jiro
    yuki yoko keiko akiko yumi naoko tomoko yoshiko kazuko sachiko emi mai ai aya haruka
    misaki yui mika kaori
    """
    # Chinese, Korean, Vietnamese, Malay, Indian given names seen in Latin letters
    """wei ming jun hui ying li xin yan jing ling jie hao min-jun ji-woo seo-yeon
    anh minh tuan hung dung thanh huong lan linh mai trang thao hoa nam long quang
    ahmad muhammad mohamed nur siti aisyah raj rahul amit priya anita sunil"""
)
TRANSLIT_FIRST = _table(
    """aleksandr aleksey alexey andrey anton artem boris denis dmitriy dmitry egor evgeniy
    igor ilya ivan kirill konstantin maksim maxim mikhail nikita nikolay oleg pavel roman
    sergey stanislav timur vladimir vladislav yuriy yuri alena alina alla anastasiya anna
    darya ekaterina elena elizaveta galina irina kristina ksenia kseniya lyudmila lyubov
    margarita marina mariya natalya nadezhda olga polina svetlana tatyana viktoriya yuliya
    yulia"""
)
SURNAMES = _table(
    # English, German, French, Italian
    """smith johnson williams brown jones miller davis wilson anderson taylor thomas moore
    jackson martin lee thompson white harris clark lewis robinson walker young allen king
    wright scott hill green adams baker nelson carter mitchell roberts turner phillips
    campbell parker evans edwards collins stewart morris murphy cook rogers morgan cooper
    peterson bailey reed kelly howard cox ward richardson wood watson brooks bennett gray
    hughes foster walsh porter reid
    muller mueller schmidt schneider fischer weber meyer wagner becker schulz hoffmann
    schafer koch bauer richter klein wolf neumann schwarz braun zimmermann kruger hartmann
    dubois durand lefebvre moreau laurent simon michel leroy roux fournier girard
    rossi russo ferrari esposito bianchi romano colombo ricci marino greco bruno gallo
    """
    # Portuguese, Spanish
    """silva santos oliveira souza sousa rodrigues ferreira alves pereira lima gomes costa
    ribeiro martins carvalho almeida lopes soares fernandes vieira barbosa rocha dias
    nascimento andrade moreira nunes marques machado mendes freitas cardoso ramos goncalves
    santana teixeira araujo pinto monteiro moura cavalcanti correia
    campos batista castro azevedo melo barros duarte fonseca guimaraes morais borges
    garcia martinez rodriguez lopez hernandez gonzalez perez sanchez ramirez torres
    flores rivera gomez diaz morales ortiz gutierrez chavez ruiz jimenez mendoza vargas
    castillo romero herrera medina aguilar vazquez
    """
    # Japanese (romaji)
    """sato suzuki takahashi tanaka watanabe ito yamamoto nakamura kobayashi kato yoshida
    yamada sasaki yamaguchi matsumoto inoue kimura hayashi shimizu yamazaki mori abe ikeda
    hashimoto yamashita ishikawa nakajima maeda fujita ogawa goto okada hasegawa murakami
    kondo ishii saito sakamoto endo aoki fujii nishimura fukuda ota miura okamoto
    matsuda nakagawa harada ono tamura takeuchi kaneko wada nakano ishida ueda morita
    hara shibata sakai kudo yokoyama miyazaki miyamoto uchida takagi ando ohashi
    """
    # Chinese (pinyin, Cantonese, Hokkien), Korean, Vietnamese
    """wang zhang liu chen yang huang zhao wu zhou xu sun ma zhu hu guo lin he gao luo
    zheng liang xie song tang han feng deng cao peng zeng xiao tian dong pan yuan cai jiang
    yu du ye cheng wei su lu ding ren shen yao jiang cui tan fan jin
    wong chan cheung leung lau ho ng tse chow chung kwok lam yip tsang
    tan lim teo goh koh ong chua chong ang yeo seah quek toh
    kim park choi jung kang cho yoon jang lim han shin seo kwon hwang ahn song
    nguyen tran le pham hoang huynh phan vu vo dang bui do ho ngo duong ly"""
)
# Family names written first in Chinese, Japanese, Korean and Vietnamese: 田中 太郎, Nguyễn Văn An.
CJK_SURNAMES = frozenset(
    """佐藤 鈴木 高橋 田中 渡辺 伊藤 山本 中村 小林 加藤 吉田 山田 佐々木 山口 松本 井上 木村 林
    清水 山崎 森 阿部 池田 橋本 山下 石川 中島 前田 藤田 小川 後藤 岡田 長谷川 村上 近藤 石井
    斎藤 坂本 遠藤 青木 藤井 西村 福田 太田 三浦 岡本 松田 中川 原田 小野 田村 竹内 金子 和田
    欧阳 歐陽 司马 司馬 上官 诸葛 諸葛 东方 東方 慕容 皇甫 公孙 公孫 夏侯
    王 李 张 張 刘 劉 陈 陳 杨 楊 黄 黃 赵 趙 吴 吳 周 徐 孙 孫 马 馬 朱 胡 郭 何 林 高 罗 羅
    郑 鄭 梁 谢 謝 宋 唐 许 許 韩 韓 冯 馮 邓 鄧 曹 彭 曾 萧 蕭 田 董 潘 袁 蔡 蒋 蔣 余 于 杜 叶
    葉 程 魏 苏 蘇 吕 呂 丁 任 卢 盧 姚 沈 钟 鍾 姜 崔 谭 譚 陆 陸 范 汪 廖 石 金
    김 이 박 최 정 강 조 윤 장 임 한 오 서 신 권 황 안 송 류 홍""".split()
)
VI_SURNAMES = frozenset(
    "nguyen tran le pham hoang huynh phan vu vo dang bui do ho ngo duong ly".split()
)

HONORIFICS = frozenset(
    """dr dr. mr mr. mrs mrs. ms ms. miss prof prof. sir dra dra. sr. sra. srta. eng eng.
    ing ing. lic lic. herr frau mme mme. mlle m. г-н г-жа""".split()
)
SUFFIXES = frozenset("jr jr. sr sr. ii iii iv neto filho junior júnior phd ph.d. mba".split())
# Lower-case words inside names: "Ana de Souza", "Ludwig van Beethoven", "Guilherme e Silva".
PARTICLES = frozenset(
    "de da do dos das di del della der den van von ten ter le la du des bin binti al el e y zu "
    "af".split()
)
# E-mail local parts that name a function, not a person.
GENERIC_LOCALS = frozenset(
    """info contact contacts contato contacto kontakt sales vendas ventas office hello hi
    admin support mail email post team hr rh jobs careers marketing comercial atendimento
    sac financeiro compras orcamento orcamentos pedidos suporte servicos press media
    noreply no-reply webmaster enquiries inquiries service help billing accounts reception
    general mailbox headoffice empresa loja shop store""".split()
)
# Mail services and page hosts: their domain says nothing about the card's company.
FREE_MAIL = frozenset(
    """gmail googlemail hotmail outlook live msn yahoo ymail aol icloud me mac mail yandex
    ya rambler bk list inbox gmx web t-online orange free wanadoo laposte libero virgilio
    uol bol terra ig r7 globo zipmail qq 163 126 sina sohu naver daum hanmail proton
    protonmail zoho docomo ezweb softbank""".split()
)
PAGE_HOSTS = frozenset(
    """blogspot wordpress wix wixsite weebly tumblr carbonmade cargocollective github
    medium linktr sites squarespace business""".split()
)
