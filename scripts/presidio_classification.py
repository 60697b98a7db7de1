"""Runs Microsoft Presidio's pattern recognizers on Palisade's classification payloads.

Two modes:

  eval FILE    FILE is the JSON Lines export of `palisade eval classification --export`.
               Scores Presidio and Palisade per Presidio entity type on the same fields:
               a field counts as found when a result overlaps its value span. Prints a
               table, or JSON with --json.
  bench FILE   FILE contains one JSON string (a payload text) per line, as written by
               `palisade bench classification --export-texts`. Prints Presidio's
               throughput in MB of payload per CPU-second as JSON.

Presidio runs without a language model: the analyzer gets a registry holding only
pattern recognizers and an NLP engine built on spaCy's blank English tokenizer, which
splits words so that context words still raise scores but finds no entities. The
e-mail recognizer's domain check uses tldextract's bundled suffix list; fetching the
list over the network is switched off.
"""

import json
import sys
import time

import spacy
import tldextract

# Never fetch the public suffix list: use the snapshot shipped with tldextract.
tldextract.extract = tldextract.TLDExtract(suffix_list_urls=())

from presidio_analyzer import AnalyzerEngine, RecognizerRegistry  # noqa: E402
from presidio_analyzer import predefined_recognizers as recognizers  # noqa: E402
from presidio_analyzer.nlp_engine import NlpArtifacts, NlpEngine  # noqa: E402

# Presidio entity types and the Palisade classes each one stands for.
ENTITY_CLASSES = {
    "EMAIL_ADDRESS": ["email"],
    "PHONE_NUMBER": ["phone_number"],
    "CREDIT_CARD": [
        "credit_card_visa",
        "credit_card_mastercard",
        "credit_card_amex",
        "credit_card_discover",
        "credit_card_jcb",
        "credit_card_diners",
        "credit_card_unionpay",
    ],
    "IBAN_CODE": ["iban"],
    "IP_ADDRESS": ["ipv4_address", "ipv6_address"],
    "MAC_ADDRESS": ["mac_address"],
    "US_SSN": ["us_ssn"],
    "US_ITIN": ["us_itin"],
    "US_PASSPORT": ["passport_number"],
    "US_DRIVER_LICENSE": ["drivers_license"],
    "ABA_ROUTING_NUMBER": ["us_aba_routing"],
    "US_NPI": ["us_npi"],
    "DATE_TIME": ["date_of_birth"],
    "UK_NINO": ["uk_nino"],
    "CA_SIN": ["ca_sin"],
    "IN_AADHAAR": ["in_aadhaar"],
    "IN_PAN": ["in_pan"],
    "ES_NIF": ["es_dni"],
    "ES_NIE": ["es_nie"],
    "IT_FISCAL_CODE": ["it_codice_fiscale"],
    "PL_PESEL": ["pl_pesel"],
    "FI_PERSONAL_IDENTITY_CODE": ["fi_hetu"],
    "SE_PERSONNUMMER": ["se_personnummer"],
}

# Pattern recognizers whose entities appear above.
RECOGNIZERS = [
    "EmailRecognizer",
    "PhoneRecognizer",
    "CreditCardRecognizer",
    "IbanRecognizer",
    "IpRecognizer",
    "MacAddressRecognizer",
    "UsSsnRecognizer",
    "UsItinRecognizer",
    "UsPassportRecognizer",
    "UsLicenseRecognizer",
    "AbaRoutingRecognizer",
    "UsNpiRecognizer",
    "DateRecognizer",
    "UkNinoRecognizer",
    "CaSinRecognizer",
    "InAadhaarRecognizer",
    "InPanRecognizer",
    "EsNifRecognizer",
    "EsNieRecognizer",
    "ItFiscalCodeRecognizer",
    "PlPeselRecognizer",
    "FiPersonalIdentityCodeRecognizer",
    "SePersonnummerRecognizer",
]

# Score thresholds tried per entity; the best F1 is reported, so Presidio is not held
# to one global threshold.
THRESHOLDS = [0.0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]


class BlankEnglishEngine(NlpEngine):
    """Tokenizes with spaCy's rule-based English tokenizer; no model, no entities."""

    def __init__(self):
        self.nlp = spacy.blank("en")

    def load(self):
        pass

    def is_loaded(self):
        return True

    def process_text(self, text, language):
        doc = self.nlp(text)
        return NlpArtifacts(
            entities=[],
            tokens=doc,
            tokens_indices=[token.idx for token in doc],
            lemmas=[token.lower_ for token in doc],
            nlp_engine=self,
            language=language,
        )

    def process_batch(self, texts, language, batch_size=1, n_process=1, **kwargs):
        for text in texts:
            yield text, self.process_text(text, language)

    def is_stopword(self, word, language):
        return self.nlp.vocab[word].is_stop

    def is_punct(self, word, language):
        return len(word) == 1 and not word.isalnum()

    def get_supported_entities(self):
        return []

    def get_supported_languages(self):
        return ["en"]


def build_analyzer():
    registry = RecognizerRegistry(supported_languages=["en"])
    missing = []
    for name in RECOGNIZERS:
        recognizer = getattr(recognizers, name, None)
        if recognizer is None:
            missing.append(name)
            continue
        registry.add_recognizer(recognizer(supported_language="en"))
    analyzer = AnalyzerEngine(registry=registry, nlp_engine=BlankEnglishEngine(), supported_languages=["en"])
    return analyzer, missing


def scores(tp, fp, fn):
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def evaluate(path):
    analyzer, missing = build_analyzer()
    lines = [json.loads(line) for line in open(path, encoding="utf-8")]

    # For each field: best Presidio score per entity whose result overlaps the value.
    presidio = []
    started = time.process_time()
    for line in lines:
        results = analyzer.analyze(text=line["text"], language="en", entities=list(ENTITY_CLASSES))
        per_field = []
        for field in line["fields"]:
            best = {}
            for result in results:
                if result.start < field["end"] and field["start"] < result.end:
                    best[result.entity_type] = max(best.get(result.entity_type, 0.0), result.score)
            per_field.append(best)
        presidio.append(per_field)
    cpu_seconds = time.process_time() - started

    rows = []
    for entity, classes in ENTITY_CLASSES.items():
        classes = set(classes)
        truth = []
        palisade_hits = []
        presidio_scores = []
        for line, per_field in zip(lines, presidio):
            for field, best in zip(line["fields"], per_field):
                truth.append(bool(classes & set(field["labels"])))
                palisade_hits.append(bool(classes & set(field["palisade"])))
                presidio_scores.append(best.get(entity))

        support = sum(truth)
        if support == 0:
            continue
        counts = lambda hits: (  # noqa: E731
            sum(1 for t, h in zip(truth, hits) if t and h),
            sum(1 for t, h in zip(truth, hits) if h and not t),
            sum(1 for t, h in zip(truth, hits) if t and not h),
        )
        ours = scores(*counts(palisade_hits))
        best = None
        for threshold in THRESHOLDS:
            hits = [s is not None and s >= threshold for s in presidio_scores]
            candidate = scores(*counts(hits)) + (threshold,)
            if best is None or candidate[2] > best[2]:
                best = candidate
        rows.append({
            "entity": entity,
            "classes": sorted(classes),
            "support": support,
            "presidio": {"precision": best[0], "recall": best[1], "f1": best[2], "threshold": best[3]},
            "palisade": {"precision": ours[0], "recall": ours[1], "f1": ours[2]},
        })
    return {
        "payloads": len(lines),
        "fields": sum(len(line["fields"]) for line in lines),
        "presidio_cpu_seconds": cpu_seconds,
        "missing_recognizers": missing,
        "entities": rows,
    }


def bench(path):
    analyzer, missing = build_analyzer()
    texts = [json.loads(line) for line in open(path, encoding="utf-8")]
    total = sum(len(text.encode("utf-8")) for text in texts)

    # One warm-up pass over a slice, then one timed pass over every text.
    for text in texts[:50]:
        analyzer.analyze(text=text, language="en", entities=list(ENTITY_CLASSES))
    cpu_started = time.thread_time()
    wall_started = time.perf_counter()
    for text in texts:
        analyzer.analyze(text=text, language="en", entities=list(ENTITY_CLASSES))
    cpu = time.thread_time() - cpu_started
    wall = time.perf_counter() - wall_started
    return {
        "payloads": len(texts),
        "payload_bytes": total,
        "mb_per_cpu_second": total / cpu / 1e6,
        "mb_per_wall_second": total / wall / 1e6,
        "recognizers": len(RECOGNIZERS) - len(missing),
        "missing_recognizers": missing,
    }


def print_table(report):
    print("| Presidio entity | Palisade classes | fields | Presidio P / R / F1 (threshold) | Palisade P / R / F1 |")
    print("|---|---|---:|---|---|")
    for row in report["entities"]:
        p, o = row["presidio"], row["palisade"]
        print(
            f"| {row['entity']} | {', '.join(row['classes'])} | {row['support']} "
            f"| {p['precision']:.3f} / {p['recall']:.3f} / {p['f1']:.3f} ({p['threshold']}) "
            f"| {o['precision']:.3f} / {o['recall']:.3f} / {o['f1']:.3f} |"
        )
    wins = sum(1 for row in report["entities"] if row["palisade"]["f1"] > row["presidio"]["f1"])
    print()
    print(f"{report['payloads']} payloads, {report['fields']} fields; Palisade's F1 is higher for {wins} of "
          f"{len(report['entities'])} entity types.")
    if report["missing_recognizers"]:
        print("Recognizers not in this Presidio version: " + ", ".join(report["missing_recognizers"]))


def main():
    args = sys.argv[1:]
    as_json = "--json" in args
    args = [a for a in args if a != "--json"]
    if len(args) != 2 or args[0] not in ("eval", "bench"):
        sys.exit("usage: presidio_classification.py eval|bench FILE [--json]")
    mode, path = args
    report = evaluate(path) if mode == "eval" else bench(path)
    if mode == "eval" and not as_json:
        print_table(report)
        return
    json.dump(report, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
