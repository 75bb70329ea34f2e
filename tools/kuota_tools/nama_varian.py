"""How one Indonesian pupil's name gets written two ways, for the generator to plant and label.

Dapodik holds the same child under spellings that are all ordinary: the old spellings (before
and after the 1972 EYD reform: Tjahjani/Cahyani, Soekarno/Sukarno, Djoko/Joko, Jusuf/Yusuf,
Njoman/Nyoman, Sjahrir/Syahrir, Chairul/Khairul), the Muhammad family and its abbreviations
(Mochammad, Moh., Mhd, M.), a name word dropped or added, and any of these with a typing slip
on top. The similarity index must find each kind (docs/kemiripan.md); the generator plants
every kind with a label, so its precision and recall are measured per kind.

Each kind here writes a second form of a name the way a school operator would, from today's
spelling to an older one; it does not know how the index folds names (that lives in SQL,
kuota.lipat_nama), so the labels are not the index's own reading.
"""

from __future__ import annotations

import numpy as np

# Old-spelling rules: today's letters and what an older spelling wrote for them, and today's
# names that hold them (pupils' and mothers' first names), so that every rule can be planted.
EJAAN_LAMA = {
    "tj": ("c", "tj", ["Cahyani", "Citra", "Candra", "Cahyono", "Cici", "Suciati", "Cecep"]),
    "dj": ("j", "dj", ["Joko", "Juwita", "Jamal", "Jumadi", "Sujatmiko", "Jamilah", "Juariah"]),
    "j": ("y", "j", ["Yusuf", "Yanti", "Wahyuni", "Yoga", "Wahyu", "Yuliani", "Suryani"]),
    "nj": ("ny", "nj", ["Nyoman", "Sunyoto", "Nyimas", "Nyai", "Banyu"]),
    "sj": ("sy", "sj", ["Syahrir", "Syarif", "Syifa", "Syamsul", "Syarifah", "Syafitri"]),
    "ch": ("kh", "ch", ["Khairul", "Akhmad", "Khoirul", "Khusnul", "Khofifah", "Khadijah"]),
    "oe": ("u", "oe", ["Sukarno", "Purwanti", "Suharto", "Utami", "Sumarni", "Sulastri", "Budi"]),
}
MUHAMMAD = ["Muhammad", "Muhamad", "Mohammad", "Mohamad", "Mochammad", "Mochamad", "Muhammed", "Mohammed", "Mukhammad"]
MUHAMMAD_SINGKAT = ["Moh.", "Moh", "Mhd", "Mhd.", "M.", "M", "Muh.", "Moch.", "Mohd."]

# The kinds of the name (and of the mother's name) that the generator plants, with their shares.
VARIAN_NAMA = {"salah_ketik": 0.25, "ejaan_lama": 0.25, "muhammad": 0.15, "kata_hilang": 0.15, "ejaan_dan_ketik": 0.2}
VARIAN_IBU = {"sama": 0.4, "salah_ketik": 0.2, "ejaan_lama": 0.2, "kata_hilang": 0.2}


def _cap(word: str) -> str:
    return word[:1].upper() + word[1:]


def ejaan_lama(name: str, rule: str) -> str:
    """The name in an older spelling, by one rule, in every word that holds it."""
    new, old, _ = EJAAN_LAMA[rule]
    words = []
    for word in name.split(" "):
        low = word.lower()
        if rule == "dj":
            low = low.replace("j", "dj")
        elif rule == "tj":
            low = low.replace("c", "tj")
        else:
            low = low.replace(new, old)
        words.append(_cap(low) if word[:1].isupper() else low)
    return " ".join(words)


def typo(rng: np.random.Generator, name: str) -> str:
    """One operator's slip: a letter dropped, doubled, swapped with the next, or replaced
    (never a swap of two equal letters or a letter replaced by itself: that is no slip)."""
    for _ in range(10):
        slipped = _slip(rng, name)
        if slipped != name:
            return slipped
    return name + "a"


def _slip(rng: np.random.Generator, name: str) -> str:
    pos = int(rng.integers(1, max(len(name) - 1, 2)))
    kind = int(rng.integers(0, 4))
    if kind == 0:
        return name[:pos] + name[pos + 1 :]
    if kind == 1:
        return name[:pos] + name[pos] + name[pos:]
    if kind == 2 and pos + 1 < len(name):
        return name[:pos] + name[pos + 1] + name[pos] + name[pos + 2 :]
    return name[:pos] + "aeiouy"[int(rng.integers(0, 6))] + name[pos + 1 :]


def first_word(name: str, word: str) -> str:
    return " ".join([word] + name.split(" ")[1:])


def varian(rng: np.random.Generator, kind: str, name: str, pool_extra: list[str]) -> tuple[str, str, str]:
    """(the source's name, the second record's name, the kind with its rule) for a planted pair.
    The source's first word may be replaced so that the kind applies (an old-spelling rule
    needs its letters); ``pool_extra`` gives the family names to lengthen a name with."""
    if kind == "salah_ketik":
        return name, typo(rng, name), kind
    if kind in ("ejaan_lama", "ejaan_dan_ketik"):
        rule = list(EJAAN_LAMA)[int(rng.integers(0, len(EJAAN_LAMA)))]
        pool = EJAAN_LAMA[rule][2]
        base = first_word(name, pool[int(rng.integers(0, len(pool)))])
        second = ejaan_lama(base, rule)
        if kind == "ejaan_dan_ketik":
            second = typo(rng, second)  # anywhere, inside the respelled letters too
        return base, second, f"{kind}:{rule}"
    if kind == "muhammad":
        full = MUHAMMAD[int(rng.integers(0, len(MUHAMMAD)))]
        others = [f for f in MUHAMMAD + MUHAMMAD_SINGKAT if f != full]
        words = name.split(" ")
        rest = words[1:] if words[0] in MUHAMMAD else words  # "Muhammad Rizki" stays two words
        if not rest:
            rest = [pool_extra[int(rng.integers(0, len(pool_extra)))]]
        return (" ".join([full] + rest), " ".join([others[int(rng.integers(0, len(others)))]] + rest), kind)
    if kind == "kata_hilang":
        words = name.split(" ")
        while len(words) < 3:
            words.append(pool_extra[int(rng.integers(0, len(pool_extra)))])
        words = words[:3]
        drop = int(rng.integers(0, 3))
        return " ".join(words), " ".join(w for k, w in enumerate(words) if k != drop), kind
    raise ValueError(f"unknown name kind {kind!r}")


def varian_ibu(rng: np.random.Generator, kind: str, mother: str) -> tuple[str, str, str]:
    """The same for the mother's name: as typed, a slip, an old spelling, or the first word
    dropped ("Siti Aminah" / "Aminah")."""
    if kind == "sama":
        return mother, mother, kind
    if kind == "salah_ketik":
        return mother, typo(rng, mother), kind
    if kind == "ejaan_lama":
        rule = list(EJAAN_LAMA)[int(rng.integers(0, len(EJAAN_LAMA)))]
        pool = EJAAN_LAMA[rule][2]
        base = first_word(mother, pool[int(rng.integers(0, len(pool)))])
        return base, ejaan_lama(base, rule), f"{kind}:{rule}"
    if kind == "kata_hilang":
        words = mother.split(" ")
        return mother, " ".join(words[1:]) or mother, kind
    raise ValueError(f"unknown mother kind {kind!r}")


def lipat(word: str) -> str:
    """A rough fold of one word (lower case, old spellings read today's way, doubled letters
    once), for the generator's own guard only: twins and common-name controls must be told
    apart by data, so their given names must not be one name spelled two ways."""
    w = word.lower().rstrip(".")
    for a, b in (("tj", "c"), ("dj", "j"), ("j", "y"), ("ch", "kh"), ("oe", "u"), ("dh", "d")):
        w = w.replace(a, b)
    out = []
    for ch in w:
        if not out or out[-1] != ch:
            out.append(ch)
    return "".join(out)
