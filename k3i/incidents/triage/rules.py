"""Explicit situation rules for the priority (see data/LABELLING.md, "Prioritas").

The priority model proposes; these rules decide where the situation is plain from the words:
weapons, serious injuries, the perpetrator still on the scene, a child in danger, fire spreading,
people trapped or drowning → priority 1; an event that happened days ago (``minggu lalu``) or a
long-standing nuisance → no emergency. Each rule that fires is returned with the words that made it
fire, so the operator sees why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .normalize import Token

# --- patterns on the normalised text (digits kept as written) ----------------------------------------
NEG = re.compile(r"\b(tidak|tanpa|belum|bukan|jangan)( \w+){0,2} $")

WEAPON = re.compile(
    r"\b(celurit|parang|golok|pisau|senjata|pedang|samurai|badik|belati|pistol|cutter|kapak|molotov|"
    r"\w*bacok\w*|\w*tusuk\w*|ditembak|menembak\w*|tembakan|\w*sabet\w*|gir|bom molotov|obeng|senapan)\b"
)
INJURY = re.compile(
    r"\b(berdarah|berdarah darah|darah|luka (parah|berat|bacok|tusuk|bakar|di kepala)|kepala\w* (bocor|berdarah)|"
    r"bocor|pingsan|tidak sadar\w*|tidak sadarkan diri|tak sadarkan diri|sekarat|kritis|patah( tulang)?|"
    r"terkapar|tergeletak|tidak bergerak|terjepit|tertimpa|tertimbun|tertindih|kejang\w*|tidak bernapas|"
    r"melepuh|babak belur|lemas|lemes|pendarahan|sesak napas)\b"
)
MINOR = re.compile(r"^( \w+)? (sedikit|dikit|ringan)\b")
ONGOING = re.compile(
    r"\b((pelaku|pelakunya|maling|orangnya|mereka|dia)( \w+)? masih|masih (di|dalam|ada di) "
    r"(dalam|lokasi|sini|situ|sana|tkp|sekitar|rumah\w*|toko|atas)|masih di dalam|sedang (beraksi|berlangsung|"
    r"dipukuli|memukuli|dianiaya|mencuri|membobol|mencongkel|dirampok)|masih (dipukuli|dihajar|dikeroyok|"
    r"mengamuk|beraksi|berlangsung|keliaran|berkeliaran|muter)|lagi (beraksi|memukuli|dipukuli|mencoba|"
    r"nyoba|dirampok|mencuri|mengamuk)|dikepung|mengepung|sedang dikejar|masih dikejar|lagi dikejar)\b"
)
CHILD = re.compile(
    r"\b(anak kecil|balita|bayi|anak (sd|tk|paud)|(umur|usia) ([1-9]|1[0-2]) (th|thn|tahun)\b|"
    r"\b([1-9]|1[0-2]) (th|thn|tahun)\b|masih (tk|sd|kecil))"
)
MOB = re.compile(
    r"\b(dihakimi|diamuk massa|dihajar massa|amuk massa|dipukuli (massa|warga)|dikeroyok warga|"
    r"mau (dipukuli|memukuli|dihakimi|diamuk)|mau mukulin|sebelum (dihakimi|diamuk|mati))"
)
FIRE = re.compile(
    r"\b(merembet|menjalar|membesar|makin (besar|gede)|api (besar|gede)|terjebak|meledak|luka bakar|"
    r"asap hitam|masih di dalam|di dalam rumah)\b"
)
EXTINGUISHED = re.compile(r"\b(sudah padam|sudah dipadamkan|padam sendiri|sudah mati|api padam|bakar sampah|membakar sampah)\b")
TRAPPED = re.compile(
    r"\b(terjebak|tertimbun|tertimpa|terjepit|tertindih|terseret|hanyut|korban|luka|belum dievakuasi|"
    r"terkubur|menimpa (pengendara|orang|warga|rumah)|penghuni\w* masih)\b"
)
DROWN = re.compile(r"\b(tenggelam|hanyut|terseret (arus|ombak)|tercebur|terbalik|tidak muncul|tenggelam)\b")
SYMPTOM = re.compile(
    r"\b(pusing|muntah|mual|pingsan|sesak|lemas|keracunan|perih|batuk|gatal|mendesis|bocor|meledak)\b"
)
LIFE = re.compile(
    r"\b(tidak bernapas|tidak sadar\w*|kejang\w*|bunuh diri|mau (lompat|loncat)|overdosis|racun|tersengat|"
    r"kesetrum|tersetrum|berdarah|jatuh dari|mulut berbusa|sekarat|napas\w* pendek)\b"
)
RIOT = re.compile(
    r"\b(ricuh|rusuh|anarkis|bentrok\w*|molotov|lempar batu|melempar\w*|bakar ban|membakar|dibakar|"
    r"merusak|dirobohkan|menyandera|sandera|pingsan|luka|menduduki)\b"
)
PAST = re.compile(
    r"\b(kemarin|kemarin lusa|minggu lalu|bulan lalu|tahun lalu|(\w+ )?(hari|minggu|bulan|tahun) (yang )?lalu|"
    r"minggu kemarin|bulan kemarin|seminggu|sebulan|tanggal \d+|tgl \d+|dulu|lebaran kemarin|semester lalu|"
    r"sejak lama|beberapa hari)\b"
)
DURATION = re.compile(r"\b(sejak|dari|semenjak) (kemarin|\w+ hari)")
CHRONIC = re.compile(
    r"\b(tiap (hari|malam|sore)|setiap (hari|malam|sore)|sudah lama|berbulan\w*|bertahun\w*|sejak lama|"
    r"sejak|sering)\b"
)

SAFE = re.compile(
    r"\b(tidak ada (yang )?(korban|luka|terluka|cedera)|belum ada (yang )?(korban|luka)|tanpa korban|tidak (luka|terluka|cedera)|"
    r"tidak apa|luka ringan|lecet|memar|lebam|sudah aman|sekarang aman|selamat|(sudah|telah) (pergi|kabur|pulang|diusir|turun|"
    r"lari|padam|dipadamkan|diamankan|tenang|diobati)|cuma (penyok|lecet|kerusakan)|kerusakan saja)\b"
)
SAFE_CATS = {
    "CURAS", "PENGANIAYAAN", "KDRT", "KEKERASAN_SEKSUAL", "LAKA_LANTAS", "BENCANA", "KEBAKARAN", "TAWURAN",
    "UNJUK_RASA", "NUBIKA", "KEMANUSIAAN", "GANGGUAN_KETERTIBAN", "PENGADUAN_ANGGOTA", "NARKOBA",
}

NOW = re.compile(
    r"\b(sekarang|saat ini|sedang|masih di|masih ada|lagi (transaksi|pesta|ngumpul|nongkrong|di|ada|memakai|jualan|muter\w*)|"
    r"kepergok|tertangkap|diamankan|ditahan|dipegangi\w*)\b"
)
NOW_CATS = {"NARKOBA", "PENIPUAN", "PENGADUAN_ANGGOTA", "PENCURIAN"}

VIOLENT = {
    "CURAS", "CURAT", "CURANMOR", "PENCURIAN", "PENGANIAYAAN", "KDRT", "KEKERASAN_SEKSUAL", "TAWURAN",
    "GANGGUAN_KETERTIBAN", "NARKOBA", "PEKAT", "PENGADUAN_ANGGOTA", "UNJUK_RASA",
}
ONGOING_CATS = {"CURAS", "CURAT", "CURANMOR", "PENGANIAYAAN", "KDRT", "KEKERASAN_SEKSUAL"}
INJURY_CATS = VIOLENT | {"LAKA_LANTAS", "KEBAKARAN", "BENCANA"}
PAST_CATS = VIOLENT | {"LAKA_LANTAS", "KEBAKARAN", "BENCANA", "GANGGUAN_LANTAS"}
ALWAYS = {"PEMBUNUHAN": 1, "ANCAMAN_TEROR": 1, "LAYANAN_ADMINISTRASI": 4, "INFORMASI": 4}
PAST_FLOOR = {"KEKERASAN_SEKSUAL": 2}


@dataclass
class RuleHit:
    rule: str
    description: str
    words: list[str]

    def as_dict(self) -> dict[str, object]:
        return {"rule": self.rule, "description": self.description, "words": self.words}


class _Text:
    """The normalised words joined by spaces, remembering which original token each character came from."""

    def __init__(self, tokens: list[Token]) -> None:
        parts: list[str] = []
        self.owner: list[int] = []
        for i, t in enumerate(tokens):
            words = (t.original,) if t.words == ("<angka>",) else t.words
            for w in words:
                if parts:
                    parts.append(" ")
                    self.owner.append(-1)
                parts.append(w)
                self.owner.extend([i] * len(w))
        self.text = "".join(parts)
        self.tokens = tokens

    def find(self, pattern: re.Pattern[str], *, negatable: bool = False, minor: bool = False) -> list[str]:
        words: list[str] = []
        for m in pattern.finditer(self.text):
            if negatable and NEG.search(self.text[: m.start()]):
                continue
            if minor and MINOR.match(self.text[m.end():]):
                continue
            idx = sorted({o for o in self.owner[m.start() : m.end()] if o >= 0})
            for i in idx:
                w = self.tokens[i].original
                if w not in words:
                    words.append(w)
        return words


def apply(category: str, model_priority: int, tokens: list[Token]) -> tuple[int, list[RuleHit]]:
    """The final priority for ``category`` given the model's proposal, and the rules that fired."""
    hits: list[RuleHit] = []
    if category in ALWAYS:
        p = ALWAYS[category]
        hits.append(RuleHit("kategori", f"kategori {category} selalu berprioritas {p}", []))
        return p, hits
    t = _Text(tokens)
    ongoing = t.find(ONGOING) if category in ONGOING_CATS else []
    past_words = [] if DURATION.search(t.text) else t.find(PAST)
    past = category in PAST_CATS and past_words and not ongoing
    chronic_words = t.find(CHRONIC) if category == "NUBIKA" else []

    escalate: list[RuleHit] = []

    def check(name: str, desc: str, pattern: re.Pattern[str], **kw: bool) -> None:
        words = t.find(pattern, **kw)
        if words:
            escalate.append(RuleHit(name, desc, words))

    if category in VIOLENT:
        check("senjata", "pelaku membawa/memakai senjata", WEAPON, negatable=True)
    if category in INJURY_CATS:
        check("korban_luka", "ada korban luka serius", INJURY, negatable=True, minor=True)
    if ongoing:
        escalate.append(RuleHit("pelaku_di_lokasi", "pelaku masih di lokasi / kejadian sedang berlangsung", ongoing))
    if category in {"KDRT", "KEKERASAN_SEKSUAL", "ORANG_HILANG", "PENGANIAYAAN"}:
        check("anak", "korban anak-anak", CHILD)
    if category in {"PENCURIAN", "CURANMOR", "CURAT", "PENGANIAYAAN"}:
        check("amuk_massa", "terduga pelaku terancam amuk massa", MOB)
    if category == "KEBAKARAN" and not t.find(EXTINGUISHED):
        check("api_menjalar", "api membesar/menjalar atau ada orang terjebak", FIRE)
    if category == "BENCANA":
        check("korban_terjebak", "ada korban atau warga terjebak", TRAPPED, negatable=True)
    if category == "ORANG_HILANG":
        check("tenggelam", "orang tenggelam/hanyut", DROWN)
    if category == "NUBIKA" and not chronic_words:
        check("paparan", "kebocoran atau gejala paparan pada orang", SYMPTOM, negatable=True)
    if category == "KEMANUSIAAN":
        check("ancaman_nyawa", "ancaman terhadap nyawa", LIFE, negatable=True)
    if category == "UNJUK_RASA":
        check("ricuh", "aksi ricuh / anarkis / ada korban", RIOT, negatable=True)

    p = min(model_priority, 3)
    safe_words = t.find(SAFE) if category in SAFE_CATS else []
    if past:
        floor = PAST_FLOOR.get(category, 3)
        hits.append(RuleHit("kejadian_lampau", f"kejadian sudah lewat; prioritas paling tinggi {floor}", past_words))
        p = max(p, floor)
    elif chronic_words:
        hits.append(RuleHit("gangguan_menahun", "gangguan lama/berulang, bukan darurat", chronic_words))
        p = max(p, 3)
    elif escalate:
        hits.extend(escalate)
        p = 1
    elif category in NOW_CATS and p == 3 and (now_words := t.find(NOW)):
        hits.append(RuleHit("sedang_terjadi", "kejadian sedang berlangsung / pelaku tertahan; perlu petugas segera", now_words))
        p = 2
    elif safe_words and p == 1:
        hits.append(RuleHit("tanpa_korban", "tidak ada korban/ancaman lagi; bukan darurat", safe_words))
        p = 2
    return p, hits
