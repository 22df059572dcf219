"""Text normalisation and feature extraction, shared by training and classification.

Informal Indonesian as it arrives at a call centre or on WhatsApp: slang and abbreviations (``tlg``,
``gk``, ``sdh``, ``yg``), elongated letters (``tolooong``), reduplication with a digit (``anak2``),
common Javanese words (``omah``, ``kobong``, ``nyolong``) and typos. Each token is mapped to standard
Indonesian by a small dictionary (a token may expand to several words); typos are left to the
character n-grams. Every feature remembers which original token it came from, so that the classifier
can say which words of the text decided it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# slang, abbreviations and Javanese → standard Indonesian (one or more words)
LEXICON: dict[str, str] = {
    # pronouns, particles, negation
    "sy": "saya", "aq": "saya", "aku": "saya", "gw": "saya", "gue": "saya", "gua": "saya", "ak": "saya",
    "sya": "saya", "kami2": "kami", "dia": "dia", "dee": "dia", "deweke": "dia", "kowe": "kamu", "km": "kamu",
    "gk": "tidak", "ga": "tidak", "gak": "tidak", "nggak": "tidak", "ngga": "tidak", "enggak": "tidak",
    "engga": "tidak", "tdk": "tidak", "tak": "tidak", "ora": "tidak", "ra": "tidak", "ndak": "tidak",
    "nda": "tidak", "kagak": "tidak", "g": "tidak",
    "sdh": "sudah", "udah": "sudah", "udh": "sudah", "dah": "sudah", "wis": "sudah", "uwis": "sudah",
    "wes": "sudah", "sudh": "sudah",
    "blm": "belum", "durung": "belum", "blom": "belum", "belom": "belum",
    "yg": "yang", "sing": "yang", "dr": "dari", "soko": "dari", "seko": "dari", "teko": "datang",
    "dgn": "dengan", "dg": "dengan", "karo": "dengan", "ambek": "dengan", "sm": "sama", "krn": "karena",
    "soale": "karena", "amarga": "karena", "mergo": "karena", "utk": "untuk",
    "nggo": "untuk", "kanggo": "untuk", "jg": "juga", "lg": "lagi", "lgi": "lagi", "maneh": "lagi",
    "tlg": "tolong", "tulung": "tolong", "tolongin": "tolong", "plis": "tolong", "pls": "tolong",
    "please": "tolong", "mhn": "mohon", "skrg": "sekarang", "skrng": "sekarang", "skr": "sekarang",
    "saiki": "sekarang", "siki": "sekarang", "saat": "saat", "td": "tadi", "tdi": "tadi",
    "barusan": "barusan", "bar": "baru", "kmrn": "kemarin", "kmarin": "kemarin", "kemaren": "kemarin",
    "wingi": "kemarin", "wingenane": "kemarin lusa", "mbiyen": "dulu", "dl": "dulu", "ntar": "nanti",
    "mengko": "nanti", "bsk": "besok", "sesuk": "besok", "bengi": "malam", "mlm": "malam",
    "semalem": "semalam", "esuk": "pagi", "isuk": "pagi", "sore": "sore",
    "jam": "jam", "msh": "masih", "isih": "masih", "iseh": "masih", "masi": "masih",
    "ono": "ada", "ana": "ada", "enek": "ada", "onok": "ada", "neng": "di", "ning": "di", "nang": "di",
    "ndek": "di", "kono": "situ", "kene": "sini", "kana": "sana", "nek": "kalau", "yen": "kalau", "kae": "itu", "iku": "itu", "kuwi": "itu", "iki": "ini",
    "opo": "apa", "apa": "apa", "piye": "bagaimana", "endi": "mana", "ngendi": "mana", "kok": "kok",
    "bgt": "banget", "bngt": "banget", "bgd": "banget", "tenan": "benar",
    "aja": "saja", "aj": "saja", "wae": "saja", "mung": "hanya", "cuma": "hanya", "cm": "hanya",
    "trus": "terus", "trs": "terus", "terus2an": "terus terusan", "banjur": "lalu", "sampe": "sampai",
    "ampe": "sampai", "nganti": "sampai", "tekan": "sampai", "abis": "habis", "entek": "habis",
    "bs": "bisa", "iso": "bisa", "isa": "bisa", "mo": "mau", "arep": "mau", "pengen": "ingin",
    "pgn": "ingin", "gimana": "bagaimana", "gmn": "bagaimana", "knp": "kenapa", "ngapa": "kenapa",
    "byk": "banyak", "akeh": "banyak", "okeh": "banyak", "sithik": "sedikit", "dikit": "sedikit",
    "gedhe": "besar", "gede": "besar", "gedi": "besar", "cilik": "kecil", "cedhak": "dekat", "adoh": "jauh",
    "cpt": "cepat", "cepet": "cepat", "ndang": "cepat", "sgr": "segera", "gpp": "tidak apa",
    "ok": "oke", "oke": "oke", "makasih": "terima kasih", "mksh": "terima kasih", "trims": "terima kasih",
    "thx": "terima kasih", "suwun": "terima kasih", "matur": "terima", "nuwun": "kasih",
    # people
    "org": "orang", "wong": "orang", "uwong": "orang", "tiyang": "orang", "bocah": "anak", "bocahe": "anak",
    "cah": "anak", "ank": "anak", "anakku": "anak saya", "bojo": "suami istri", "bojoku": "suami istri saya",
    "bapakku": "bapak saya", "ibuku": "ibu saya", "simbah": "kakek nenek", "mbah": "kakek nenek",
    "tonggo": "tetangga", "tangga": "tetangga", "tetanggaku": "tetangga saya", "tmn": "teman",
    "temen": "teman", "konco": "teman", "kanca": "teman", "bpk": "bapak", "pk": "pak", "bu": "ibu",
    "mas2": "mas", "mbak": "mbak", "adhik": "adik", "adekku": "adik saya", "adek": "adik",
    "paklik": "paman", "bulik": "bibi", "pakde": "paman", "bude": "bibi", "wedok": "perempuan",
    "wadon": "perempuan", "lanang": "laki laki", "cowo": "laki laki", "cowok": "laki laki", "cewe": "perempuan",
    "cewek": "perempuan", "ortu": "orang tua", "wongtuo": "orang tua", "pelakune": "pelaku",
    "korbane": "korban", "pelakunya": "pelaku", "korbannya": "korban", "ndan": "komandan",
    "pulisi": "polisi", "plisi": "polisi", "pol": "polisi", "bhabin": "bhabinkamtibmas", "jukir": "juru parkir",
    "ojol": "ojek online", "oknum": "oknum", "art": "pembantu", "odgj": "orang gangguan jiwa",
    "edan": "gila", "gendeng": "gila",
    # places, things
    "rmh": "rumah", "omah": "rumah", "omahku": "rumah saya", "umah": "rumah", "griya": "rumah",
    "jln": "jalan", "jl": "jalan", "dalan": "jalan", "ndalan": "jalan", "gg": "gang", "dpn": "depan",
    "ngarep": "depan", "blkg": "belakang", "mburi": "belakang", "samping": "samping", "sebelah": "sebelah",
    "njero": "dalam", "jero": "dalam", "dlm": "dalam", "dalem": "dalam", "njaba": "luar", "kali": "sungai",
    "kalen": "selokan", "sawah": "sawah", "kebon": "kebun", "pasar": "pasar", "lawang": "pintu",
    "cendela": "jendela", "mtr": "motor", "montor": "motor", "motore": "motor", "montore": "motor",
    "spd": "sepeda", "pit": "sepeda", "ranmor": "kendaraan bermotor", "hp": "handphone", "hape": "handphone",
    "duit": "uang", "dhuwit": "uang", "duite": "uang", "banyu": "air", "geni": "api", "genine": "api",
    "lemah": "tanah", "watu": "batu", "wit": "pohon", "uwit": "pohon", "gaman": "senjata",
    "sajam": "senjata tajam", "senpi": "senjata api", "clurit": "celurit", "arit": "celurit",
    "bedil": "senjata api", "piso": "pisau", "peso": "pisau", "lading": "pisau", "pedhang": "pedang",
    "getih": "darah", "getihe": "darah", "getihen": "berdarah", "sirah": "kepala", "sirahe": "kepala",
    "sikil": "kaki", "sikile": "kaki", "tatu": "luka", "tatune": "luka", "awak": "badan", "awake": "badan",
    "tkp": "tkp lokasi kejadian", "lp": "laporan polisi", "stnk": "stnk", "sim": "sim", "skck": "skck",
    "ktp": "ktp",
    # events, verbs (Javanese and slang)
    "laka": "kecelakaan", "lakalantas": "kecelakaan lalu lintas", "lalin": "lalu lintas",
    "curanmor": "curanmor pencurian kendaraan bermotor", "curas": "curas pencurian kekerasan",
    "curat": "curat pencurian pemberatan", "kdrt": "kdrt kekerasan dalam rumah tangga",
    "begal": "begal", "dibegal": "dibegal", "maling": "maling", "kemalingan": "kemalingan",
    "nyolong": "mencuri", "colong": "curi", "dicolong": "dicuri", "nyolongi": "mencuri", "digondol": "dicuri",
    "digowo": "dibawa", "digawa": "dibawa", "nggowo": "membawa", "nggawa": "membawa", "gowo": "bawa",
    "kobong": "terbakar", "kobongan": "kebakaran", "obong": "bakar", "diobong": "dibakar",
    "geger": "ribut", "rame": "ramai", "tukaran": "bertengkar", "gelut": "berkelahi", "kerah": "berkelahi",
    "berantem": "berkelahi", "ribut2": "ribut", "mendem": "mabuk", "mabok": "mabuk", "teler": "mabuk",
    "ngombe": "minum", "nggebuki": "memukuli", "digebuki": "dipukuli", "digebukin": "dipukuli",
    "gebukin": "pukuli", "ngantemi": "memukuli", "diantemi": "dipukuli", "dikeplak": "dipukul",
    "dijotos": "ditinju", "ditonjok": "ditinju", "nonjok": "meninju", "mukul": "memukul",
    "mukulin": "memukuli", "dipukulin": "dipukuli", "dihajar": "dipukuli", "nabrak": "menabrak",
    "ketabrak": "tertabrak", "ditabrak": "ditabrak", "nyerempet": "menyerempet", "keserempet": "terserempet",
    "tibo": "jatuh", "tiba": "tiba", "ceblok": "jatuh", "kecemplung": "tercebur", "nyemplung": "tercebur",
    "kelelep": "tenggelam", "keli": "hanyut", "kintir": "hanyut", "ilang": "hilang", "ical": "hilang",
    "mlayu": "lari", "playon": "lari", "kabur": "kabur", "minggat": "kabur", "mulih": "pulang",
    "lunga": "pergi", "ngamuk": "mengamuk", "semaput": "pingsan", "klenger": "pingsan", "loro": "sakit",
    "lara": "sakit", "mati": "mati", "modar": "mati", "dipateni": "dibunuh", "mateni": "membunuh",
    "mambu": "bau", "ambu": "bau", "ambune": "bau", "mumet": "pusing", "mutah": "muntah", "wedi": "takut",
    "nangis": "menangis", "bengok": "teriak", "bengok2": "teriak", "jerit2": "menjerit", "ambruk": "roboh",
    "ambrol": "runtuh", "rubuh": "roboh", "nibani": "menimpa", "ketiban": "tertimpa", "ketindih": "tertindih",
    "ketimbun": "tertimbun", "kebanjiran": "kebanjiran", "kelebon": "kemasukan", "lindu": "gempa",
    "ngrampas": "merampas", "ngrampok": "merampok", "njambret": "menjambret", "dijambret": "dijambret",
    "nodong": "menodong", "ditodong": "ditodong", "nyopet": "mencopet", "dicopet": "dicopet",
    "mbobol": "membobol", "dibobol": "dibobol", "njebol": "menjebol", "nyongkel": "mencongkel",
    "dicongkel": "dicongkel", "mbacok": "membacok", "dibacok": "dibacok", "nusuk": "menusuk",
    "ndelik": "bersembunyi", "ngumpet": "bersembunyi", "obah": "bergerak", "ngglethak": "tergeletak",
    "gletak": "tergeletak", "mlumah": "telentang", "nyabu": "memakai sabu", "ngelem": "menghirup lem",
    "nyimeng": "memakai ganja", "ngamen": "mengamen", "malak": "memalak", "dipalak": "dipalak",
    "nagih": "menagih", "ngancem": "mengancam", "ngancam": "mengancam", "ngintip": "mengintip",
    "ditipu": "ditipu", "ketipu": "tertipu", "kena": "kena", "nilang": "menilang", "njaluk": "minta",
    "nyuwun": "minta", "weneh": "beri", "wenehi": "beri", "tuku": "beli", "dodol": "jual",
    "ngerti": "tahu", "weruh": "lihat", "ndelok": "lihat", "deleng": "lihat", "krungu": "dengar",
    "ngomong": "bilang", "kandha": "bilang", "nggoleki": "mencari", "golek": "cari", "nemu": "menemukan",
    "ketemu": "ketemu", "kepergok": "kepergok", "ketangkep": "tertangkap", "ketangkap": "tertangkap",
    "diamankan": "diamankan", "dihakimi": "dihakimi", "diamuk": "diamuk", "ngeroyok": "mengeroyok",
    "dikroyok": "dikeroyok", "keroyok": "keroyok", "tawur": "tawuran", "tawuran": "tawuran",
    "nyerbu": "menyerbu", "trek2an": "balap liar", "trekan": "balap liar", "balapan": "balap",
    "demo": "demo unjuk rasa", "ngeluruk": "mendatangi", "bledos": "meledak", "mbledos": "meledak",
    "njeblug": "meledak", "bocor": "bocor", "sesek": "sesak", "nyengat": "menyengat",
    "ketlisut": "hilang", "kesasar": "tersesat", "nyasar": "tersesat", "pikun": "pikun",
    "dikunci": "dikunci", "digembok": "digembok",
}

_SUFFIXES = ("nya", "ne", "ku", "mu", "e")
_SPLIT = re.compile(r"[^0-9a-z]+")
_REPEAT = re.compile(r"(.)\1{2,}")


@dataclass(frozen=True)
class Token:
    original: str  # the word as written (lower case, without punctuation)
    words: tuple[str, ...]  # standard Indonesian words it stands for


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    return "".join(ch for ch in unicodedata.normalize("NFD", text) if unicodedata.category(ch) != "Mn")


def _map(word: str) -> tuple[str, ...]:
    if word in LEXICON:
        return tuple(LEXICON[word].split())
    for suf in _SUFFIXES:
        stem = word[: -len(suf)]
        if word.endswith(suf) and len(stem) >= 3 and stem in LEXICON:
            return tuple(LEXICON[stem].split())
    return (word,)


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens, each mapped to its standard Indonesian word(s)."""
    out: list[Token] = []
    for raw in _SPLIT.split(_fold(text)):
        if not raw:
            continue
        word = _REPEAT.sub(r"\1", raw)  # tolooong → tolong, pakkkk → pak
        if word.isdigit():
            out.append(Token(raw, ("<angka>",)))
            continue
        m = re.fullmatch(r"([a-z]{2,})2", word)  # anak2 → anak anak
        if m:
            w = _map(m.group(1))
            out.append(Token(raw, w + w))
            continue
        word = re.sub(r"\d+", "", word) or word
        out.append(Token(raw, _map(word)))
    return out


def normalized_text(tokens: list[Token]) -> str:
    return " ".join(w for t in tokens for w in t.words)


def features(tokens: list[Token]) -> list[tuple[str, tuple[int, ...]]]:
    """Features of a tokenised text, each with the indices of the original tokens it came from.

    ``w:`` word unigrams and ``b:`` bigrams of the normalised words, ``c:`` character 3–5-grams of each
    normalised word (typo tolerant, catches affixes such as di-/ter-/-nya without a stemmer).
    """
    words: list[tuple[str, int]] = [(w, i) for i, t in enumerate(tokens) for w in t.words]
    feats: list[tuple[str, tuple[int, ...]]] = []
    for j, (w, i) in enumerate(words):
        feats.append(("w:" + w, (i,)))
        if j + 1 < len(words):
            w2, i2 = words[j + 1]
            feats.append(("b:" + w + "_" + w2, (i,) if i2 == i else (i, i2)))
        if w == "<angka>":
            continue
        padded = f" {w} "
        for n in (3, 4, 5):
            for k in range(len(padded) - n + 1):
                feats.append(("c:" + padded[k : k + n], (i,)))
    return feats


def analyze(text: str) -> list[str]:
    """The feature list of ``text`` (the analyzer handed to scikit-learn at training time)."""
    return [f for f, _ in features(tokenize(text))]
