"""The demo company, Lumen Audio (深圳灵声科技): what it is made of, generated from a seed.

A smart-speaker maker in Shenzhen with a second warehouse in Dongguan. This module only
describes the company (items, BOMs, places, people, partners); `tools.demo.history`
says what happened over six months and `tools.demo.load` posts all of it through the
gateway, so every rule of the services applies. Same seed, same company.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from decimal import Decimal

SEED = 20261128
DEMO_PASSWORD = "Lumen-Demo-2026"

# --------------------------------------------------------------------------- categories

CATEGORIES = {
    "RES": "Resistors",
    "CAP": "Capacitors",
    "IND": "Inductors and ferrites",
    "DIO": "Diodes, LEDs and transistors",
    "IC": "Integrated circuits",
    "XTAL": "Crystals and oscillators",
    "CONN": "Connectors",
    "PCB": "Bare boards",
    "ACOU": "Drivers and microphones",
    "MECH": "Plastics and mechanical parts",
    "FAST": "Screws and fasteners",
    "CBL": "Cables and adapters",
    "PKG": "Packaging and printed matter",
    "SA": "Sub-assemblies",
    "FG": "Finished speakers",
}


@dataclass(frozen=True, slots=True)
class Item:
    code: str
    name: str
    category: str
    item_type: str = "raw_material"  # raw_material | semi_finished | finished_good
    tracking: str = "lot"
    uom: str = "pcs"
    specification: str = ""
    lead_time_days: int | None = None
    safety_stock: str | None = None
    moq: str | None = None
    multiple: str | None = None
    fixed: str | None = None
    lifecycle: str = "active"
    standard_cost: str | None = None
    manufacturer: str | None = None
    mpn: str | None = None
    #: A second approved manufacturer part (ICs bought from two makers).
    second_source: tuple[str, str] | None = None
    procurement: str | None = None
    shelf_life_days: int | None = None
    #: Unit price paid to the supplier (receipts), or None for made items.
    price: Decimal | None = None
    supplier: str | None = None
    #: Pieces per reel / tray / box the supplier ships in (receipts come in these).
    pack: int = 1


# --------------------------------------------------------------------------- the library

_E24 = (
    "1.0", "1.1", "1.2", "1.3", "1.5", "1.6", "1.8", "2.0", "2.2", "2.4", "2.7", "3.0",
    "3.3", "3.6", "3.9", "4.3", "4.7", "5.1", "5.6", "6.2", "6.8", "7.5", "8.2", "9.1",
)  # fmt: skip
_E6 = ("1.0", "1.5", "2.2", "3.3", "4.7", "6.8")


def _ohms(mantissa: str, decade: int) -> str:
    """'4.7', 3 -> '4K7'; '1.0', 0 -> '1R0'; '2.2', 5 -> '220K'."""
    value = Decimal(mantissa) * (Decimal(10) ** decade)
    for unit, scale in (("M", Decimal(10) ** 6), ("K", Decimal(1000)), ("R", Decimal(1))):
        if value >= scale:
            text = format((value / scale).normalize(), "f")
            whole, _, frac = text.partition(".")
            return f"{whole}{unit}{frac}" if frac else f"{whole}{unit}"
    raise AssertionError(value)


def _farads(mantissa: str, exponent: int) -> str:
    """'1.0', -7 -> '100N'; '4.7', -6 -> '4U7'; '2.2', -11 -> '22P'."""
    value = Decimal(mantissa) * (Decimal(10) ** exponent)
    for unit, scale in (("U", Decimal("1e-6")), ("N", Decimal("1e-9")), ("P", Decimal("1e-12"))):
        if value >= scale:
            text = format((value / scale).normalize(), "f")
            whole, _, frac = text.partition(".")
            return f"{whole}{unit}{frac}" if frac else f"{whole}{unit}"
    raise AssertionError(value)


def _passives(rng: random.Random) -> list[Item]:
    items: list[Item] = []
    for package, reel, base in (("0201", 15000, "0.0006"), ("0402", 10000, "0.0008"),
                                ("0603", 5000, "0.0012"), ("0805", 5000, "0.0016"),
                                ("1206", 5000, "0.0025")):  # fmt: skip
        maker, prefix = ("Yageo", "RC") if package != "0201" else ("UniOhm", "0201WMF")
        for decade in range(0, 6):
            for mantissa in _E24:
                value = _ohms(mantissa, decade)
                items.append(
                    Item(
                        code=f"R{package}-{value}",
                        name=f"Resistor {value.replace('R', '.').rstrip('.')} ohm {package} 1%",
                        category="RES",
                        specification=f"{package} 1% 1/16W thick film",
                        manufacturer=maker,
                        mpn=f"{prefix}{package}FR-07{value}L",
                        price=Decimal(base) + Decimal(rng.randint(0, 4)) / 10000,
                        supplier="Yageo",
                        pack=reel,
                        lead_time_days=14,
                        multiple=str(reel),
                    )
                )
    for package, volts, reel in (("0402", "16V", 10000), ("0402", "50V", 10000),
                                 ("0603", "25V", 4000), ("0805", "25V", 4000)):  # fmt: skip
        for exponent in range(-12, -5):
            for mantissa in _E6:
                value = _farads(mantissa, exponent)
                if package == "0402" and exponent >= -6 and mantissa not in ("1.0", "2.2"):
                    continue
                dielectric = "C0G" if exponent <= -10 else "X7R" if exponent <= -7 else "X5R"
                items.append(
                    Item(
                        code=f"C{package}-{value}-{volts}",
                        name=f"Capacitor {value} {volts} {package} {dielectric}",
                        category="CAP",
                        specification=f"{package} {dielectric} {volts} 10% MLCC",
                        manufacturer="Murata",
                        mpn=f"GRM{package[:2]}5{dielectric[:1]}{value}{volts}",
                        price=Decimal("0.002") + Decimal(rng.randint(0, 30)) / 10000,
                        supplier="Murata",
                        pack=reel,
                        lead_time_days=21,
                        multiple=str(reel),
                    )
                )
    for index in range(60):
        value = _E6[index % 6]
        decade = index // 6 % 4
        package = ("0402", "0603", "0805", "1210")[index // 24 % 4]
        unit = ("N", "U", "U", "U")[decade]
        code = f"L{package}-{value.replace('.', unit)}{'H' if decade else ''}-{index:02d}"
        items.append(
            Item(
                code=code,
                name=f"Inductor {value}{unit}H {package}",
                category="IND",
                specification=f"{package} {'ferrite bead' if index % 5 == 0 else 'power inductor'}",
                manufacturer="Sunlord",
                mpn=f"SDFL{package}T{index:03d}",
                price=Decimal("0.01") + Decimal(rng.randint(0, 90)) / 1000,
                supplier="Sunlord",
                pack=4000,
                lead_time_days=21,
            )
        )
    return items


def _discretes(rng: random.Random) -> list[Item]:
    items: list[Item] = []
    colours = ("RED", "GRN", "BLU", "WHT", "YEL", "ORG", "RGB")
    for package in ("0402", "0603", "0805"):
        for colour in colours:
            for brightness in ("STD", "HI"):
                items.append(
                    Item(
                        code=f"LED{package}-{colour}-{brightness}",
                        name=f"LED {colour.lower()} {package} {brightness.lower()}",
                        category="DIO",
                        specification=f"{package} SMD LED, {'high' if brightness == 'HI' else 'standard'} brightness",
                        manufacturer="Everlight",
                        mpn=f"19-{package[-2:]}{colour[0]}{brightness[0]}",
                        price=Decimal("0.015") + Decimal(rng.randint(0, 40)) / 1000,
                        supplier="Everlight",
                        pack=4000,
                        lead_time_days=14,
                    )
                )
    for index in range(120):
        kind = ("TVS", "SCHOTTKY", "ZENER", "NMOS", "PMOS", "NPN")[index % 6]
        items.append(
            Item(
                code=f"{kind[:3]}-{index:03d}",
                name=f"{kind.title()} {('SOD-323', 'SOT-23', 'SOD-123', 'DFN2020')[index % 4]}",
                category="DIO",
                specification=f"{kind} {5 + index % 40}V",
                manufacturer=("Nexperia", "onsemi", "Diodes Inc")[index % 3],
                mpn=f"{kind[:2]}{index:04d}",
                price=Decimal("0.02") + Decimal(rng.randint(0, 200)) / 1000,
                supplier="Arrow Asia",
                pack=3000,
                lead_time_days=28,
            )
        )
    for index in range(20):
        mhz = ("8", "12", "16", "24", "25", "26", "32.768K", "40", "48", "12.288")[index % 10]
        items.append(
            Item(
                code=f"XTAL-{mhz}-{index:02d}",
                name=f"Crystal {mhz}{'Hz' if mhz.endswith('K') else 'MHz'}",
                category="XTAL",
                specification=f"{('3225', '2016')[index % 2]} 10ppm",
                manufacturer="TXC",
                mpn=f"7M{index:02d}{mhz.replace('.', '')}",
                price=Decimal("0.12") + Decimal(rng.randint(0, 20)) / 100,
                supplier="Arrow Asia",
                pack=3000,
                lead_time_days=28,
            )
        )
    return items


_IC_FAMILIES = (
    # prefix, name, makers (first, second), price
    ("IC-LDO", "LDO regulator", ("TI", "Richtek"), "0.18"),
    ("IC-DCDC", "Buck converter", ("TI", "Silergy"), "0.42"),
    ("IC-OPA", "Op-amp", ("TI", "3PEAK"), "0.25"),
    ("IC-ESD", "ESD protection array", ("Nexperia", "Semtech"), "0.09"),
    ("IC-EEPROM", "EEPROM", ("Microchip", "Giantec"), "0.15"),
    ("IC-LOGIC", "Logic gate", ("Nexperia", "TI"), "0.06"),
    ("IC-CHG", "Battery charger", ("TI", "Injoinic"), "0.55"),
    ("IC-USB", "USB-C PD controller", ("Cypress", "Injoinic"), "0.95"),
)


def _ics(rng: random.Random) -> list[Item]:
    items: list[Item] = []
    for prefix, name, (first, second), price in _IC_FAMILIES:
        for index in range(40):
            mpn = f"{prefix[3:]}{1000 + index * 7}"
            items.append(
                Item(
                    code=f"{prefix}-{mpn}",
                    name=f"{name} {mpn}",
                    category="IC",
                    specification=f"{('SOT-23-5', 'SOIC-8', 'QFN-16', 'DFN-8')[index % 4]}",
                    manufacturer=first,
                    mpn=f"{first[:2].upper()}{mpn}",
                    second_source=(second, f"{second[:2].upper()}{mpn}")
                    if index % 8 == 0
                    else None,
                    price=Decimal(price) + Decimal(rng.randint(0, 50)) / 100,
                    supplier="Arrow Asia",
                    pack=3000,
                    lead_time_days=42,
                )
            )
    return items


def _connectors_and_mechanics(rng: random.Random) -> list[Item]:
    items: list[Item] = []
    for index in range(150):
        pins = (2, 4, 6, 8, 10, 12, 20, 24, 30, 40)[index % 10]
        kind = ("FPC", "WTB", "B2B", "HDR", "USBC")[index // 30]
        items.append(
            Item(
                code=f"CON-{kind}-{pins}P-{index:02d}",
                name=f"Connector {kind} {pins}-pin",
                category="CONN",
                specification=f"{('0.5', '1.0', '1.25', '2.0')[index % 4]} mm pitch",
                manufacturer=("Hirose", "JST", "Molex", "Amphenol")[index % 4],
                mpn=f"CN{kind}{pins:02d}{index:03d}",
                price=Decimal("0.05") + Decimal(rng.randint(0, 60)) / 100,
                supplier="Arrow Asia",
                pack=1000,
                lead_time_days=35,
            )
        )
    for index in range(60):
        size = ("M1.6x4", "M2x4", "M2x5", "M2.5x6", "M3x6", "M3x8")[index % 6]
        head = ("PAN", "FLAT", "WAFER", "TAPPING", "MACHINE")[index // 12]
        items.append(
            Item(
                code=f"SCR-{size}-{head}-{index:02d}",
                name=f"Screw {size} {head.lower()}",
                category="FAST",
                tracking="none",
                specification=f"{size} {head.lower()} head, black zinc",
                price=Decimal("0.008") + Decimal(rng.randint(0, 10)) / 1000,
                supplier="Dongguan Fasteners",
                pack=5000,
                lead_time_days=10,
            )
        )
    for index in range(120):
        part = ("HOUSING", "GRILLE", "FOOT", "BUTTON", "LIGHTPIPE", "BRACKET", "GASKET", "BADGE")[
            index % 8
        ]
        items.append(
            Item(
                code=f"MEC-{part}-{index:02d}",
                name=f"{part.title()} {('PC/ABS', 'ABS', 'silicone', 'aluminium')[index % 4]} #{index}",
                category="MECH",
                tracking="none",
                specification=f"{('black', 'white', 'grey', 'sand')[index % 4]}, tool {index:03d}",
                price=Decimal("0.2") + Decimal(rng.randint(0, 300)) / 100,
                supplier="Hengtai Plastics",
                pack=200,
                lead_time_days=20,
            )
        )
    for index in range(30):
        items.append(
            Item(
                code=f"CBL-{('USBC', 'FFC', 'WIRE')[index % 3]}-{index:02d}",
                name=f"Cable {('USB-C', 'FFC', 'wire harness')[index % 3]} #{index}",
                category="CBL",
                tracking="none",
                specification=f"{(100, 150, 200, 1000)[index % 4]} mm",
                price=Decimal("0.3") + Decimal(rng.randint(0, 200)) / 100,
                supplier="Luxshare",
                pack=500,
                lead_time_days=15,
            )
        )
    for index in range(90):
        kind = ("BOX", "INSERT", "MANUAL", "LABEL", "BAG", "CARTON")[index % 6]
        items.append(
            Item(
                code=f"PKG-{kind}-{index:02d}",
                name=f"{kind.title()} #{index}",
                category="PKG",
                tracking="none",
                specification=f"{('kraft', 'white card', 'PE', 'art paper')[index % 4]}",
                price=Decimal("0.05") + Decimal(rng.randint(0, 150)) / 100,
                supplier="Xiamen Pack",
                pack=500,
                lead_time_days=12,
            )
        )
    for index in range(30):
        items.append(
            Item(
                code=f"PCB-LIB-{index:02d}",
                name=f"Bare board, legacy project #{index}",
                category="PCB",
                specification=f"FR-4 {(2, 4, 6)[index % 3]} layers",
                price=Decimal("0.8") + Decimal(rng.randint(0, 300)) / 100,
                supplier="Jiale PCB",
                pack=50,
                lead_time_days=18,
                lifecycle="not_recommended" if index % 4 == 0 else "active",
            )
        )
    for index in range(20):
        items.append(
            Item(
                code=f"ACO-LIB-{index:02d}",
                name=f"{('Full-range driver', 'Tweeter', 'MEMS mic', 'Passive radiator')[index % 4]} #{index}",
                category="ACOU",
                specification=f"{(40, 50, 57, 66)[index % 4]} mm, {(4, 8)[index % 2]} ohm",
                price=Decimal("0.9") + Decimal(rng.randint(0, 400)) / 100,
                supplier="Goertek",
                pack=100,
                lead_time_days=30,
            )
        )
    return items


# --------------------------------------------------------------------------- the speaker

#: The parts of the Lumen One that are bought: code, name, category, spec, supplier, price,
#: pack, tracking, manufacturer, mpn, second source.
_SPEAKER_PARTS: tuple[tuple[str, ...], ...] = (
    ("IC-ESP32S3", "SoC ESP32-S3 dual-core Wi-Fi/BLE", "IC", "QFN-56, 8 MB PSRAM", "Espressif", "3.10", "500", "lot", "Espressif", "ESP32-S3R8", ""),
    ("IC-FLASH-128M", "SPI NOR flash 128 Mbit", "IC", "SOIC-8 3.3V", "Arrow Asia", "0.62", "2000", "lot", "Winbond", "W25Q128JVSIQ", "GigaDevice:GD25Q128ESIG"),
    ("IC-CODEC", "Audio codec, mono ADC/DAC", "IC", "QFN-20", "Everest Semi", "0.48", "3000", "lot", "Everest Semi", "ES8311", ""),
    ("IC-AMP-TPA", "Class-D amplifier 2x20W (rev A)", "IC", "HTSSOP-32", "TI", "1.35", "2000", "lot", "TI", "TPA3116D2DADR", ""),
    ("IC-AMP-TAS", "Class-D amplifier 2x23W, digital input", "IC", "HTSSOP-28", "TI", "1.05", "2000", "lot", "TI", "TAS5805MPWPR", "Awinic:AW88298"),
    ("IC-PMIC", "Buck converter 3A", "IC", "SOT-563", "Arrow Asia", "0.21", "3000", "lot", "Silergy", "SY8089A1AAC", "TI:TLV62569DBVR"),
    ("IC-LDO-33", "LDO 3.3V 500mA", "IC", "SOT-23-5", "Arrow Asia", "0.07", "3000", "lot", "Richtek", "RT9013-33GB", "TI:TLV75533PDBVR"),
    ("IC-LEDDRV", "LED driver 12-channel", "IC", "QFN-24", "Arrow Asia", "0.28", "3000", "lot", "TI", "TLC59116IRHBR", ""),
    ("XTAL-40M", "Crystal 40 MHz 3225", "XTAL", "3225 10ppm 10pF", "Arrow Asia", "0.09", "3000", "lot", "TXC", "7M40000005", ""),
    ("R0402-10K", "Resistor 10k 0402 1%", "RES", "0402 1% 1/16W", "Yageo", "0.0008", "10000", "lot", "Yageo", "RC0402FR-0710KL", ""),
    ("R0402-100K", "Resistor 100k 0402 1%", "RES", "0402 1% 1/16W", "Yageo", "0.0008", "10000", "lot", "Yageo", "RC0402FR-07100KL", ""),
    ("R0402-22R", "Resistor 22 ohm 0402 1%", "RES", "0402 1% 1/16W", "Yageo", "0.0008", "10000", "lot", "Yageo", "RC0402FR-0722RL", ""),
    ("R0402-4K7", "Resistor 4.7k 0402 1%", "RES", "0402 1% 1/16W", "Yageo", "0.0008", "10000", "lot", "Yageo", "RC0402FR-074K7L", ""),
    ("C0402-100N", "Capacitor 100nF 16V 0402 X7R", "CAP", "0402 X7R 16V", "Murata", "0.0021", "10000", "lot", "Murata", "GRM155R71C104KA88D", ""),
    ("C0402-1U", "Capacitor 1uF 16V 0402 X5R", "CAP", "0402 X5R 16V", "Murata", "0.0030", "10000", "lot", "Murata", "GRM155R61C105KE01D", ""),
    ("C0603-10U", "Capacitor 10uF 25V 0603 X5R", "CAP", "0603 X5R 25V", "Murata", "0.0120", "4000", "lot", "Murata", "GRM188R61E106KA73D", ""),
    ("C0603-10U-SAM", "Capacitor 10uF 25V 0603 X5R (Samsung)", "CAP", "0603 X5R 25V", "Samsung EM", "0.0105", "4000", "lot", "Samsung EM", "CL10A106KA8NRNC", ""),
    ("C0805-22U", "Capacitor 22uF 25V 0805 X5R", "CAP", "0805 X5R 25V", "Murata", "0.0310", "4000", "lot", "Murata", "GRM21BR61E226ME44L", ""),
    ("L-4U7-PWR", "Power inductor 4.7uH 3A", "IND", "4030 shielded", "Sunlord", "0.09", "2000", "lot", "Sunlord", "MWSA0402S-4R7MT", ""),
    ("LED0402-RGB", "LED RGB 0404 side view", "DIO", "0404 RGB", "Everlight", "0.045", "4000", "lot", "Everlight", "99-235/RGBC/TR8", ""),
    ("MIC-MEMS", "MEMS microphone, bottom port", "ACOU", "3.5x2.65 mm, -26 dBFS", "Knowles", "0.38", "5000", "lot", "Knowles", "SPH0641LU4H-1", "Goertek:S15OT421-005"),
    ("CON-USBC-16P", "USB-C receptacle 16-pin", "CONN", "mid-mount", "Arrow Asia", "0.16", "1000", "lot", "Amphenol", "12401610E4#2A", ""),
    ("CON-FPC-24P", "FPC connector 24-pin 0.5 mm", "CONN", "0.5 mm, top contact", "Arrow Asia", "0.11", "1000", "lot", "Hirose", "FH12-24S-0.5SH", ""),
    ("PCB-MAIN", "Main board bare PCB, 4 layers", "PCB", "FR-4 4L 1.6 mm ENIG", "Jiale PCB", "1.85", "100", "lot", "Jiale PCB", "LA-MAIN-V3", ""),
    ("PCB-LED", "LED ring bare PCB, 2 layers", "PCB", "FR-4 2L 1.0 mm", "Jiale PCB", "0.46", "200", "lot", "Jiale PCB", "LA-LED-V2", ""),
    ("DRV-WOOFER", "Woofer 57 mm 4 ohm 15 W", "ACOU", "57 mm, 4 ohm", "Goertek", "2.40", "100", "lot", "Goertek", "GK-57W4", ""),
    ("DRV-PASSIVE", "Passive radiator 66x44 mm", "ACOU", "66x44 mm", "Goertek", "0.55", "100", "lot", "Goertek", "GK-PR6644", ""),
    ("MEC-TOP", "Top housing PC/ABS, black", "MECH", "PC/ABS, matte black", "Hengtai Plastics", "1.20", "200", "none", "", "", ""),
    ("MEC-BOTTOM", "Bottom housing PC/ABS, black", "MECH", "PC/ABS, matte black", "Hengtai Plastics", "0.95", "200", "none", "", "", ""),
    ("MEC-GRILLE", "Fabric grille, charcoal", "MECH", "knitted polyester on ABS frame", "Hengtai Plastics", "0.70", "200", "none", "", "", ""),
    ("MEC-FOOT", "Silicone foot", "MECH", "silicone 40A", "Hengtai Plastics", "0.03", "2000", "none", "", "", ""),
    ("SCR-M2X5", "Screw M2x5 pan head", "FAST", "M2x5 black zinc", "Dongguan Fasteners", "0.010", "5000", "none", "", "", ""),
    ("CBL-FFC-24", "FFC 24-pin 100 mm", "CBL", "0.5 mm pitch, 100 mm", "Luxshare", "0.09", "500", "none", "", "", ""),
    ("CBL-USBC-1M", "USB-C cable 1 m", "CBL", "USB 2.0, 1 m, white", "Luxshare", "0.85", "500", "none", "", "", ""),
    ("ADP-5V2A", "Power adapter 5 V 2 A, CN plug", "CBL", "CCC, 5V 2A", "Luxshare", "2.30", "200", "none", "", "", ""),
    ("PKG-BOX-ONE", "Gift box, Lumen One", "PKG", "white card, printed", "Xiamen Pack", "0.62", "500", "none", "", "", ""),
    ("PKG-INSERT-ONE", "Pulp insert, Lumen One", "PKG", "molded pulp", "Xiamen Pack", "0.18", "500", "none", "", "", ""),
    ("PKG-MANUAL-ONE", "Quick start guide, zh/en", "PKG", "A6, 12 pages", "Xiamen Pack", "0.09", "1000", "none", "", "", ""),
    ("PKG-LABEL-SN", "Serial number label", "PKG", "PET, 30x15 mm", "Xiamen Pack", "0.01", "5000", "none", "", "", ""),
)  # fmt: skip

#: The made items of the Lumen One, top to bottom (five levels: 0 to 4).
_MADE: tuple[tuple[str, str, str, str, str], ...] = (
    # code, name, category, item_type, tracking
    ("SPK-ONE-BLK", "Lumen One smart speaker, black", "FG", "finished_good", "serial"),
    ("ASM-ONE-CORE", "Lumen One core assembly (acoustic unit)", "SA", "semi_finished", "lot"),
    ("PCBA-MAIN", "Main board PCBA (SoC, audio, power)", "SA", "semi_finished", "lot"),
    ("PCBA-LED", "LED and microphone ring PCBA", "SA", "semi_finished", "lot"),
    ("IC-MCU-PRG", "ESP32-S3 programmed with Lumen firmware", "SA", "semi_finished", "lot"),
)
#: Other finished speakers in the catalog (colours, bundles) that the demo does not build.
_OTHER_FINISHED = (
    ("SPK-ONE-WHT", "Lumen One smart speaker, white"),
    ("SPK-ONE-SND", "Lumen One smart speaker, sand"),
    ("SPK-MINI-BLK", "Lumen Mini, black"),
    ("SPK-MINI-WHT", "Lumen Mini, white"),
    ("SPK-MAX-BLK", "Lumen Max, black"),
    ("SPK-ONE-2PK", "Lumen One stereo pair"),
)


@dataclass(frozen=True, slots=True)
class Line:
    component: str
    quantity: str
    designators: str = ""
    scrap_percent: str = ""
    substitutes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Bom:
    item: str
    revision: str
    lines: tuple[Line, ...]
    #: Days from the demo day (negative: in the past) its release takes effect.
    effective_from_day: int
    supersede: bool = False
    description: str = ""


def _main_board(revision: str) -> tuple[Line, ...]:
    """PCBA-MAIN: A with the TPA3116 amplifier; B with the TAS5805M (fewer parts); C
    adds a second flash source's decoupling."""
    amp = "IC-AMP-TPA" if revision == "A" else "IC-AMP-TAS"
    lines = [
        Line("IC-MCU-PRG", "1", "U1"),
        Line("IC-FLASH-128M", "1", "U2"),
        Line("IC-CODEC", "1", "U3"),
        Line(amp, "1", "U4"),
        Line("IC-PMIC", "1", "U5"),
        Line("IC-LDO-33", "1", "U6"),
        Line("XTAL-40M", "1", "Y1"),
        Line("R0402-10K", "12", "R1-R12", "2"),
        Line("R0402-100K", "4", "R13-R16", "2"),
        Line(
            "R0402-22R",
            "6" if revision == "A" else "4",
            "R17-R22" if revision == "A" else "R17-R20",
            "2",
        ),
        Line("C0402-100N", "18", "C1-C18", "2"),
        Line("C0402-1U", "6", "C19-C24", "2"),
        Line("C0603-10U", "4", "C25-C28", "2", ("C0603-10U-SAM",)),
        Line(
            "C0805-22U",
            "4" if revision == "A" else "2",
            "C29-C32" if revision == "A" else "C29 C30",
            "2",
        ),
        Line("L-4U7-PWR", "2" if revision == "A" else "1", "L1 L2" if revision == "A" else "L1"),
        Line("CON-USBC-16P", "1", "J1"),
        Line("CON-FPC-24P", "1", "J2"),
        Line("PCB-MAIN", "1"),
    ]
    if revision == "C":
        lines.insert(12, Line("R0402-4K7", "2", "R23 R24", "2"))
    return tuple(lines)


BOMS: tuple[Bom, ...] = (
    Bom("IC-MCU-PRG", "A", (Line("IC-ESP32S3", "1", "", "0.5"),), -400,
        description="Programming station: blank SoC + Lumen firmware 3.x"),
    Bom("PCBA-MAIN", "A", _main_board("A"), -400, description="Launch build, TPA3116 amplifier"),
    Bom("PCBA-MAIN", "B", _main_board("B"), -84, supersede=True,
        description="ECN-0412: TAS5805M digital amplifier, fewer passives"),
    Bom("PCBA-MAIN", "C", _main_board("C"), 14, supersede=True,
        description="ECN-0431: pull-ups for the second flash source"),
    Bom("PCBA-LED", "A", (
        Line("IC-LEDDRV", "1", "U1"),
        Line("LED0402-RGB", "12", "D1-D12", "1"),
        Line("MIC-MEMS", "4", "MK1-MK4", "1"),
        Line("R0402-4K7", "4", "R1-R4", "2"),
        Line("C0402-100N", "6", "C1-C6", "2"),
        Line("PCB-LED", "1"),
    ), -400),
    Bom("ASM-ONE-CORE", "A", (
        Line("PCBA-MAIN", "1"),
        Line("PCBA-LED", "1"),
        Line("DRV-WOOFER", "1"),
        Line("DRV-PASSIVE", "2"),
        Line("MEC-TOP", "1"),
        Line("MEC-BOTTOM", "1"),
        Line("MEC-GRILLE", "1"),
        Line("MEC-FOOT", "4"),
        Line("SCR-M2X5", "8", "", "3"),
        Line("CBL-FFC-24", "1"),
    ), -400),
    Bom("SPK-ONE-BLK", "A", (
        Line("ASM-ONE-CORE", "1"),
        Line("ADP-5V2A", "1"),
        Line("CBL-USBC-1M", "1"),
        Line("PKG-BOX-ONE", "1"),
        Line("PKG-INSERT-ONE", "1"),
        Line("PKG-MANUAL-ONE", "1"),
        Line("PKG-LABEL-SN", "2"),
    ), -400),
)  # fmt: skip

#: Which made item each made item's work orders produce into, and from which line.
SPEAKER = "SPK-ONE-BLK"
BUILD_ORDER = ("IC-MCU-PRG", "PCBA-MAIN", "PCBA-LED", "ASM-ONE-CORE", "SPK-ONE-BLK")


@dataclass
class Company:
    items: list[Item] = field(default_factory=list)
    boms: tuple[Bom, ...] = BOMS

    def item(self, code: str) -> Item:
        return self._by_code[code]

    def __post_init__(self) -> None:
        self._by_code = {item.code: item for item in self.items}

    def bom_for(self, item: str, revision: str) -> Bom:
        return next(b for b in self.boms if b.item == item and b.revision == revision)


def speaker_parts() -> list[Item]:
    parts = []
    for (
        code,
        name,
        category,
        spec,
        supplier,
        price,
        pack,
        tracking,
        maker,
        mpn,
        second,
    ) in _SPEAKER_PARTS:
        second_source = tuple(second.split(":", 1)) if second else None
        parts.append(
            Item(
                code=code,
                name=name,
                category=category,
                specification=spec,
                supplier=supplier,
                price=Decimal(price),
                pack=int(pack),
                tracking=tracking,
                manufacturer=maker or None,
                mpn=mpn or None,
                second_source=second_source,  # type: ignore[arg-type]
                lead_time_days=42 if category == "IC" else 21 if category != "PKG" else 12,
                multiple=pack if category in {"RES", "CAP"} else None,
                moq=pack if category in {"IC", "XTAL"} else None,
                safety_stock=_SAFETY.get(code),
                lifecycle="end_of_life" if code == "IC-AMP-TPA" else "active",
                shelf_life_days=365 if category in {"ACOU"} else None,
            )
        )
    return parts


#: Safety stocks the rules watch (one is set so it is below it at the end of the demo).
_SAFETY = {
    "IC-ESP32S3": "800",
    "IC-AMP-TAS": "600",
    "MIC-MEMS": "2000",
    "DRV-WOOFER": "300",
    "PCB-MAIN": "300",
}


def made_items() -> list[Item]:
    items = [
        Item(
            code=code,
            name=name,
            category=category,
            item_type=item_type,
            tracking=tracking,
            procurement="make",
            lead_time_days={"SPK-ONE-BLK": 2, "ASM-ONE-CORE": 2, "IC-MCU-PRG": 1}.get(code, 3),
            specification="Lumen One",
        )
        for code, name, category, item_type, tracking in _MADE
    ]
    items += [
        Item(code=code, name=name, category="FG", item_type="finished_good", tracking="serial",
             procurement="make", lead_time_days=2, specification="not built in the demo",
             lifecycle="active" if "MAX" not in code else "not_recommended")
        for code, name in _OTHER_FINISHED
    ]  # fmt: skip
    return items


def build_company(seed: int = SEED) -> Company:
    """About 2,000 items: the speaker's own parts and made items, then a parts library."""
    rng = random.Random(seed)
    own = speaker_parts() + made_items()
    taken = {item.code for item in own}
    library = [
        item
        for item in (_passives(rng) + _discretes(rng) + _ics(rng) + _connectors_and_mechanics(rng))
        if item.code not in taken
    ]
    seen: set[str] = set()
    unique = []
    for item in library:
        if item.code not in seen:
            seen.add(item.code)
            unique.append(item)
    return Company(items=own + unique)


# --------------------------------------------------------------------------- places, people

#: code, name, location_type, parent
LOCATIONS: tuple[tuple[str, str, str, str | None], ...] = (
    ("SZ", "Shenzhen plant warehouse", "warehouse", None),
    ("SZ/RAW", "Raw material store", "storage", "SZ"),
    ("SZ/RAW/A-01", "Raw store rack A-01 (ICs, passives)", "storage", "SZ/RAW"),
    ("SZ/RAW/B-01", "Raw store rack B-01 (boards, acoustic)", "storage", "SZ/RAW"),
    ("SZ/RAW/C-01", "Raw store rack C-01 (mechanical, packaging)", "storage", "SZ/RAW"),
    ("SZ/SFG", "Semi-finished store", "storage", "SZ"),
    ("SZ/FG", "Finished goods", "finished_goods", "SZ"),
    ("SZ/QA", "Quarantine", "quarantine", "SZ"),
    ("SZ/SMT-1", "SMT line 1", "production_line", "SZ"),
    ("SZ/ASM-1", "Final assembly line 1", "production_line", "SZ"),
    ("DG", "Dongguan distribution warehouse", "warehouse", None),
    ("DG/RAW", "Raw material overflow", "storage", "DG"),
    ("DG/SFG", "Semi-finished buffer", "storage", "DG"),
    ("DG/FG", "Finished goods", "finished_goods", "DG"),
    ("DG/QA", "Quarantine", "quarantine", "DG"),
    ("DG/PACK-1", "Repack line", "production_line", "DG"),
)


#: Where each bought part is kept in Shenzhen.
def store_of(item: Item) -> str:
    if item.category in {"MECH", "FAST", "CBL", "PKG"}:
        return "SZ/RAW/C-01"
    if item.category in {"PCB", "ACOU"}:
        return "SZ/RAW/B-01"
    return "SZ/RAW/A-01"


LINE_OF = {
    "IC-MCU-PRG": "SZ/SMT-1",
    "PCBA-MAIN": "SZ/SMT-1",
    "PCBA-LED": "SZ/SMT-1",
    "ASM-ONE-CORE": "SZ/ASM-1",
    "SPK-ONE-BLK": "SZ/ASM-1",
}
OUTPUT_OF = {
    "IC-MCU-PRG": "SZ/SFG",
    "PCBA-MAIN": "SZ/SFG",
    "PCBA-LED": "SZ/SFG",
    "ASM-ONE-CORE": "SZ/SFG",
    "SPK-ONE-BLK": "SZ/FG",
}

#: username, name, gateway roles, department, workflow roles (role, scope)
PEOPLE: tuple[tuple[str, str, tuple[str, ...], str | None, tuple[tuple[str, str | None], ...]], ...] = (
    ("ann", "Ann Lin (material planner)", ("planner",), "SMT", ()),
    ("li", "Li Wei (SMT team leader)", ("planner",), "SMT", ()),
    ("zhou", "Zhou Min (operations director)", ("planner",), None, (("director", None), ("buyer", None))),
    ("wang", "Wang Fang (Shenzhen store keeper)", ("warehouse",), None, (("keeper", "SZ"),)),
    ("sun", "Sun Hao (QC inspector)", ("qc",), None, (("inspector", None),)),
    ("chen", "Chen Jing (cost accountant)", ("finance",), None, ()),
    ("mes", "MES integration", ("integration",), None, ()),
)  # fmt: skip

CUSTOMERS = (
    "JD Logistics Shenzhen DC", "Tmall Supermarket", "Suning Nanjing", "Vipshop",
    "Harbor Audio GmbH", "Nordic Sound AB", "Audio Plaza Taipei", "SoundHouse Japan",
    "Maple Electronics Canada", "Bondi Audio Pty", "Rhein Elektro", "Casa del Sonido",
    "Keystone Retail US", "Lion City Gadgets", "Seoul Smart Home", "Dubai Tech Souq",
    "Bangkok Living", "Manila Hi-Fi", "Warsaw Digital", "Lisbon Home Audio",
)  # fmt: skip
