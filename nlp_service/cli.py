"""The ``nlp-service`` command line.

Commands print the same JSON the HTTP API returns. Exit codes: 0 success, 2 bad input or usage
(the CLI's 4xx), 1 unexpected failure.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .errors import Errors, ServiceError

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


def _read_text(source: str) -> str:
    """Read a note from a file path or ``-`` (stdin) as strict UTF-8."""
    if source == "-":
        raw = sys.stdin.buffer.read()
        what = "standard input"
    else:
        path = Path(source)
        if path.is_dir():
            raise Errors.NOT_A_FILE.error(path=source)
        if not path.is_file():
            raise Errors.INPUT_NOT_FOUND.error(path=source)
        raw = path.read_bytes()
        what = f"file {source}"
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Errors.NOT_UTF8.error(what=what, reason=f"invalid byte at position {exc.start}") from None


def _parse_term(value: str) -> dict[str, str]:
    """``"chest pain:PROBLEM"`` -> ``{"text": "chest pain", "category": "PROBLEM"}``."""
    text, sep, category = value.rpartition(":")
    if not sep or not text.strip() or not category.strip():
        raise argparse.ArgumentTypeError(f"expected TEXT:CATEGORY, got {value!r}")
    return {"text": text.strip(), "category": category.strip().upper()}


def _parse_scopes(value: str) -> tuple[str, ...]:
    """``"records,qa"`` -> ``("records", "qa")``, or a usage error naming the scopes."""
    from .security.scopes import parse_scopes

    try:
        return parse_scopes(value)
    except ServiceError as exc:
        raise argparse.ArgumentTypeError(exc.detail) from None


def _emit(payload: Any, compact: bool) -> None:
    text = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
    if not compact:
        text = json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    sys.stdout.write(text + "\n")


# -- commands -----------------------------------------------------------------------------------
def cmd_analyze(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from . import load
    from .config import format_validation_error

    text = _read_text(args.file)
    analyzer = load(args.config)
    try:
        result = analyzer.analyze(text, args.term)
    except ValidationError as exc:
        raise Errors.INVALID_REQUEST.error(summary="; ".join(format_validation_error(exc))) from None
    if args.phi:
        from . import load_phi

        result.phi = load_phi(args.config).detect(text) if text.strip() else []
    _emit(result.model_dump_json(), args.compact)
    return EXIT_OK


def _deid_inputs(source: str, pattern: str) -> list[tuple[str, Path | None]]:
    """(name, path) for ``-``, one file, or every file matching ``pattern`` under a folder."""
    if source == "-":
        return [("-", None)]
    path = Path(source)
    if path.is_dir():
        return [(str(p.relative_to(path)), p) for p in sorted(path.rglob(pattern)) if p.is_file()]
    if not path.exists():
        raise Errors.INPUT_NOT_FOUND.error(path=source)
    return [(path.name, path)]


def cmd_deid(args: argparse.Namespace) -> int:
    """De-identify ``-``, a file (JSON result to stdout, or text with --text-only) or a folder.

    A folder is written file by file to ``--out`` (required: de-identified text never lands next to
    the originals by accident), with a JSON-lines report of replaced spans. A file that fails
    (not UTF-8, too long) is reported and skipped; the others still go through.
    """
    from . import load_phi

    service = load_phi(args.config)
    operators = dict(args.type_operator)
    inputs = _deid_inputs(args.source, args.glob)
    if args.source != "-" and Path(args.source).is_dir():
        if not args.out:
            raise Errors.INVALID_REQUEST.error(summary="a folder needs --out DIR for the de-identified files")
        out_dir = Path(args.out)
        if out_dir.resolve() == Path(args.source).resolve():
            raise Errors.INVALID_REQUEST.error(summary="--out must differ from the input folder")
        out_dir.mkdir(parents=True, exist_ok=True)
        failures = 0
        with open(out_dir / "deid_report.jsonl", "w", encoding="utf-8") as report:
            for name, path in inputs:
                entry: dict[str, Any] = {"file": name}
                try:
                    text = _read_text(str(path))
                    if not text.strip():  # nothing to de-identify: copied as it is, not a failure
                        (out_dir / name).parent.mkdir(parents=True, exist_ok=True)
                        (out_dir / name).write_text(text, encoding="utf-8")
                        entry.update(ok=True, empty=True, findings=[])
                        report.write(json.dumps(entry, ensure_ascii=False) + "\n")
                        continue
                    result = service.deidentify(text, args.operator, operators, args.patient_key, return_originals=False)
                except ServiceError as exc:
                    failures += 1
                    # the relative name only: a full path can carry a patient's name
                    entry.update(ok=False, error=exc.code, detail=exc.detail.replace(str(path), name))
                else:
                    target = out_dir / name
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_text(result.text, encoding="utf-8")
                    entry.update(ok=True, findings=[f.model_dump(exclude={"text"}) for f in result.findings])
                report.write(json.dumps(entry, ensure_ascii=False) + "\n")
        summary = {"files": len(inputs), "failed": failures, "out": str(out_dir),
                   "report": str(out_dir / "deid_report.jsonl")}
        _emit(summary, compact=False)
        return EXIT_OK if not failures else EXIT_USAGE
    out_file = Path(args.out) if args.out else None
    if out_file is not None:
        if out_file.is_dir():
            raise Errors.INVALID_REQUEST.error(summary=f"--out {args.out} is a folder; give a file path for one note")
        if args.source != "-" and out_file.resolve() == Path(args.source).resolve():
            raise Errors.INVALID_REQUEST.error(summary="--out must differ from the input file (it would overwrite the note)")
    result = service.deidentify(_read_text(args.source), args.operator, operators, args.patient_key,
                                return_originals=args.return_originals)
    if out_file is not None:
        out_file.write_text(result.text, encoding="utf-8")
        if args.text_only:
            return EXIT_OK  # the text went to the file
    if args.text_only:
        sys.stdout.write(result.text)
    else:
        _emit(result.model_dump_json(), args.compact)
    return EXIT_OK


def _type_operator(value: str) -> tuple[str, str]:
    """``"DATE=shift_dates"`` -> ``("DATE", "shift_dates")``."""
    kind, sep, op = value.partition("=")
    if not sep or not kind.strip() or not op.strip():
        raise argparse.ArgumentTypeError(f"expected TYPE=OPERATOR, got {value!r}")
    return kind.strip().upper(), op.strip()


def cmd_serve(args: argparse.Namespace) -> int:
    from .config import load_settings
    from .serve import serve

    overrides: dict[str, Any] = {"service": {}}
    for key in ("host", "port", "workers", "threads"):
        value = getattr(args, key)
        if value is not None:
            overrides["service"][key] = value
    settings = load_settings(args.config, overrides=overrides)
    serve(settings)
    return EXIT_OK


def cmd_evaluate(args: argparse.Namespace) -> int:
    if args.task == "phi":
        return _evaluate_phi(args)
    if args.task == "linking":
        return _evaluate_linking(args)
    if args.task == "qa":
        from .qa.evaluate import evaluate_qa

        path = Path((args.gold or [str(Path("corpora") / "qa" / "medquad_heldout.jsonl")])[0])
        _emit(evaluate_qa(_qa_service(args), args.kb, path, args.configs), compact=False)
        return EXIT_OK
    if args.task == "triage":
        from .config import load_settings
        from .triage.evaluate import evaluate_triage
        from .triage.service import TriageService

        service = TriageService(load_settings(args.config).triage)
        path = Path((args.gold or [str(Path("corpora") / "triage" / "test.jsonl")])[0])
        _emit(evaluate_triage(service, path), compact=False)
        return EXIT_OK
    from . import load
    from .records.evaluate import evaluate_records, format_report

    analyzer = load(args.config)
    report = evaluate_records(analyzer, Path((args.gold or ["corpora/notes/gold"])[0]), split=args.split)
    if args.json:
        _emit(report, compact=False)
    else:
        sys.stdout.write(format_report(report))
    return EXIT_OK


def _evaluate_phi(args: argparse.Namespace) -> int:
    from . import load_phi
    from .phi.evaluate import evaluate_phi, format_phi_report

    folders = [Path(g) for g in (args.gold or [Path("corpora") / "notes" / "gold", Path("corpora") / "phi" / "gold"])]
    for folder in folders:
        if not folder.is_dir():
            raise Errors.INPUT_NOT_FOUND.error(path=str(folder))
    service = load_phi(args.config)
    report = evaluate_phi(service, folders, split=args.split)
    if not args.errors:
        report.pop("errors")
    if args.preservation:
        from . import load
        from .phi.evaluate import entity_preservation

        report["entity_preservation"] = entity_preservation(load(args.config), service, folders, args.split)
    if args.json:
        _emit(report, compact=False)
    else:
        sys.stdout.write(format_phi_report(report))
        for operator, p in report.get("entity_preservation", {}).items():
            sys.stdout.write(f"entities kept after de-identification ({operator}): {p['kept']}/{p['entities']}, "
                             f"lost {p['lost_rate']:.2%} (target <= 1%); {p['assertion_changed']} changed assertion\n")
    return EXIT_OK


def _linker(args: argparse.Namespace) -> Any:
    from .config import load_settings
    from .linking import shared_linker

    settings = load_settings(args.config)
    linking = settings.linking
    return shared_linker(settings.embeddings.cache_dir, settings.embeddings.backend, linking.neighbours,
                         linking.exact_neighbours), settings


def _evaluate_linking(args: argparse.Namespace) -> int:
    from .linking.evaluate import evaluate_linking, format_linking_report, load_gold

    gold = load_gold(Path((args.gold or [str(Path("corpora") / "linking" / "gold" / "mentions.jsonl")])[0]), args.split)
    linker, _settings = _linker(args)
    report = evaluate_linking(linker, gold, errors=args.errors)
    if args.json:
        _emit(report, compact=False)
    else:
        sys.stdout.write(format_linking_report(report))
    return EXIT_OK


def cmd_link(args: argparse.Namespace) -> int:
    """ICD-10-CM codes for one problem mention."""
    from .linking import Query

    linker, settings = _linker(args)
    query = Query(args.mention, history=args.history, family=args.family)
    candidates = linker.link(query, k=args.k or settings.linking.top_k, mode=args.mode or settings.linking.mode)
    _emit({"mention": args.mention, "code_set": linker.version,
           "codes": [{"code": c.code, "display": c.display, "score": c.score, "matched": c.matched, "method": c.method,
                      "billable": c.billable} for c in candidates]}, compact=args.compact)
    return EXIT_OK


def _search_service(args: argparse.Namespace) -> Any:
    from .config import load_settings
    from .search.service import SearchService

    settings = load_settings(args.config)
    return SearchService(settings.search, settings.embeddings)


def _lines(source: str) -> Any:
    if source == "-":
        return sys.stdin.buffer
    path = Path(source)
    if path.is_dir():
        raise Errors.NOT_A_FILE.error(path=source)
    if not path.is_file():
        raise Errors.INPUT_NOT_FOUND.error(path=source)
    return path.open("rb")


def cmd_index(args: argparse.Namespace) -> int:
    """Build, extend, shrink, list, describe or remove a record collection."""
    service = _search_service(args)
    if args.action == "list":
        _emit([i.model_dump() for i in service.list()], compact=False)
    elif args.action == "info":
        _emit(service.info(args.name).model_dump(), compact=False)
    elif args.action in ("build", "add"):
        lines = _lines(args.input)
        try:
            if args.action == "build":
                report = service.build(args.name, lines, source=args.input, replace=args.replace)
            else:
                report = service.add(args.name, lines, source=args.input)
        finally:
            if lines is not sys.stdin.buffer:
                lines.close()
        _emit(report.model_dump(), compact=False)
        if report.skipped:
            sys.stderr.write(f"nlp-service: skipped {len(report.skipped)} line(s); see 'skipped' in the report\n")
    elif args.action == "delete":
        removed = service.delete(args.name, args.ids)
        _emit({"name": args.name, "deleted": removed, "not_found": len(args.ids) - removed}, compact=False)
    elif args.action == "drop":
        service.drop(args.name)
        _emit({"name": args.name, "dropped": True}, compact=False)
    return EXIT_OK


def _qa_service(args: argparse.Namespace, entities: bool = True) -> Any:
    from .config import load_settings
    from .qa.service import QAService

    settings = load_settings(args.config)
    finder: Any = None
    if entities:
        from . import record_analyzer
        from .qa.service import entity_finder

        finder = entity_finder(record_analyzer(settings))
    return QAService(settings.qa, settings.search, settings.embeddings, entities=finder)


def cmd_kb(args: argparse.Namespace) -> int:
    """Import, build and list question-answer knowledge bases."""
    from .qa.kb import heldout_ids, import_medquad, read_entries

    service = _qa_service(args, entities=False)
    if args.action == "list":
        _emit([i.model_dump() for i in service.list()], compact=False)
    elif args.action == "build":
        if not args.name:
            raise Errors.INVALID_REQUEST.error(summary="Name the knowledge base: nlp-service kb build NAME.")
        _emit(service.build(args.name), compact=False)
    elif args.action == "import":
        if args.format is None or args.path is None or not args.kb:
            raise Errors.INVALID_REQUEST.error(summary="Usage: nlp-service kb import medquad|jsonl PATH --kb NAME")
        heldout = heldout_ids(Path(args.holdout)) if args.holdout else None
        if args.format == "medquad":
            entries, report = import_medquad(Path(args.path))
        else:
            lines = _lines(args.path)
            try:
                entries, problems = read_entries(lines, args.path)
            finally:
                if lines is not sys.stdin.buffer:
                    lines.close()
            report = {"lines_skipped": problems}
        report = service.store(args.kb, entries, report, heldout)
        if args.build:
            report["build"] = service.build(args.kb)
        _emit(report, compact=False)
        skipped = report.get("lines_skipped") or report.get("malformed_files") or []
        if skipped:
            sys.stderr.write(f"nlp-service: {len(skipped)} problem(s) skipped; see the report\n")
    return EXIT_OK


def cmd_ask(args: argparse.Namespace) -> int:
    """Answer a consumer-health question from a knowledge base."""
    question = _read_text(args.file) if args.file else args.question
    if question is None:
        raise Errors.INVALID_REQUEST.error(summary="Give the question as TEXT or --file FILE|-.")
    result = _qa_service(args).answer({"question": question, "k": args.k, "kb": args.kb})
    _emit(result.model_dump_json(), compact=args.compact)
    return EXIT_OK


def cmd_train_reranker(args: argparse.Namespace) -> int:
    """Fine-tune the question-answering cross-encoder from MiniLM on a knowledge base's pairs."""
    from .qa.rerank import train_reranker

    _emit(train_reranker(_qa_service(args, entities=False), args.kb, Path(args.out), seed=args.seed, queries=args.queries),
          compact=False)
    return EXIT_OK


def _parse_filter(value: str) -> tuple[str, Any]:
    """``dept=cardiology`` -> ("dept", "cardiology"); numbers and true/false are typed (JSON)."""
    key, sep, raw = value.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {value!r}")
    try:
        parsed = json.loads(raw)
        if not isinstance(parsed, str | int | float | bool):
            parsed = raw
    except json.JSONDecodeError:
        parsed = raw
    return key.strip(), parsed


def cmd_search(args: argparse.Namespace) -> int:
    """Top-k records like a query text or like a record already in the index."""
    filters: dict[str, Any] = {}
    for key, value in args.filter:
        filters.setdefault(key, []).append(value)
    request = {"index": args.index, "k": args.k, "mode": args.mode,
               "filters": {k: v[0] if len(v) == 1 else v for k, v in filters.items()}}
    if args.record_id is not None:
        request["record_id"] = args.record_id
    if args.query is not None:
        request["query"] = args.query
    result = _search_service(args).search(request)
    _emit(result.model_dump_json(), compact=args.compact)
    return EXIT_OK


def cmd_train(args: argparse.Namespace) -> int:
    """Train a model and write its artifact directory with a model card: the PHI tagger from corpora/,
    or a text classifier (--model) on the user's own labelled CSV/JSONL."""
    if args.model is not None:
        return _train_classifier(args)
    if args.target != "phi-tagger":
        raise Errors.INVALID_REQUEST.error(summary="Give --model nb|svm|rf|knn|transformer|rnn|cnn (with --data, "
                                                   "--text-col, --label-col, --out), or phi-tagger.")
    from .phi import tagger

    args.out = args.out or str(Path("models") / "phi_tagger")
    gold = [Path(g) for g in (args.gold or [Path("corpora") / "notes" / "gold", Path("corpora") / "phi" / "gold"])]
    for folder in gold:
        if not folder.is_dir():
            raise Errors.INPUT_NOT_FOUND.error(path=str(folder))
    out = Path(args.out)
    config = tagger.train(gold, out, split=args.split, seed=args.seed)
    eval_split = "test" if args.split == "dev" else "dev"
    results = tagger.evaluate_tagger(out, gold, eval_split)
    command = f"nlp-service train phi-tagger --split {args.split} --seed {args.seed} --out {args.out}"
    tagger.write_model_card(out, config, {"split": eval_split, "results": results}, command)
    _emit({"model": str(out), "training_tokens": config["training_tokens"], "evaluated_on": eval_split,
           "results": {k: {m: v[m] for m in ("token_recall", "token_precision")} for k, v in results.items()}},
          compact=False)
    return EXIT_OK


def _train_classifier(args: argparse.Namespace) -> int:
    from .triage.training import train

    if not args.data or not args.out:
        raise Errors.INVALID_REQUEST.error(summary="train --model needs --data FILE and --out DIR.")
    report = train(args.data if len(args.data) > 1 else args.data[0], args.model, args.out, text_col=args.text_col, label_col=args.label_col, seed=args.seed,
                   urgent=args.urgent)
    report.pop("versions")
    report["test"].pop("confusion")
    _emit(report, compact=False)
    return EXIT_OK


TRIAGE_DATA = [str(Path("corpora") / "triage" / name) for name in ("train.jsonl", "train_handwritten.jsonl", "test.jsonl")]


def cmd_train_triage(args: argparse.Namespace) -> int:
    """Rebuild the shipped triage models (models/triage/<task>/<model>) from corpora/triage."""
    from .triage.training import train

    out = Path(args.out)
    summary = {}
    for task in ("urgency", "destination"):
        for model in args.models:
            report = train(TRIAGE_DATA, model, out / task / model, text_col="text", label_col=task, seed=args.seed,
                           urgent="emergency" if task == "urgency" else None,
                           command=f"nlp-service train-triage --models {model} --seed {args.seed} --out {args.out}")
            summary[f"{task}/{model}"] = {k: v for k, v in report["test"].items() if k not in ("confusion", "per_class_f1")}
    _emit(summary, compact=False)
    return EXIT_OK


def cmd_triage(args: argparse.Namespace) -> int:
    from .config import load_settings
    from .triage.service import TriageService

    text = _read_text(args.file) if args.file else args.text
    if text is None:
        raise Errors.INVALID_REQUEST.error(summary="Give the message as TEXT or --file FILE|-.")
    result = TriageService(load_settings(args.config).triage).triage(text, model=args.model)
    _emit(result.model_dump_json(), compact=args.compact)
    return EXIT_OK


def cmd_compare(args: argparse.Namespace) -> int:
    from .triage.compare import compare

    report = compare(args.data if len(args.data) > 1 else args.data[0], args.models, args.out, text_col=args.text_col, label_col=args.label_col,
                     seed=args.seed, urgent=args.urgent, title=args.title)
    _emit({"report": str(Path(args.out) / "report.md"), "models": report["models"]}, compact=False)
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    """Load everything the service needs and verify the shipped resources; exit 1 on a problem."""
    from . import load
    from .resources import verify_lexicons

    problems = verify_lexicons()
    analyzer = load(args.config)
    analyzer.prepare()  # the encoder and the ICD-10-CM synonym index (built on the first run, ~2 min on CPU)
    result = analyzer.analyze("Denies chest pain. H/o HTN on metoprolol 25 mg PO BID. Pnuemonia on CXR.")
    found = {(e.text, e.assertion.certainty.value, e.assertion.temporality.value) for e in result.entities}
    expected = {("chest pain", "negated", "current"), ("HTN", "positive", "historical")}
    if not expected <= found:
        problems.append(f"smoke test: expected {sorted(expected)}, got {sorted(found)}")
    codes = {e.text: e.codes[0].code for e in result.entities if e.codes}
    if "nlp_service_icd10cm_v2" in analyzer.settings.pipeline and codes.get("Pnuemonia") != "J18.9":
        problems.append(f"ICD-10-CM smoke test: expected Pnuemonia -> J18.9, got {codes}")
    from . import load_phi

    phi = load_phi(args.config)
    deid = phi.deidentify("Seen by Dr. Okonkwo on 3/4/21, call 617-555-0199.", "mask").text
    if deid != "Seen by Dr. [NAME] on [DATE], call [PHONE].":
        problems.append(f"PHI smoke test: got {deid!r}")
    qa = _qa_service(args)
    built = qa.ensure_default()  # imports and builds the default KB on the first run (~1 min on CPU)
    answer = qa.answer({"question": "What are the symptoms of asthma?", "k": 1})
    if answer.abstained or "asthma" not in (answer.answers[0].focus + answer.answers[0].question).lower():
        problems.append(f"Q&A smoke test: got {answer.model_dump(include={'abstained', 'answers'})}")
    report = {"ok": not problems, "problems": problems, "components": list(analyzer.settings.pipeline),
              "phi_recognizers": list(phi.settings.recognizers), "kbs": qa.names(), "default_kb_built_now": built}
    _emit(report, compact=False)
    return EXIT_OK if not problems else EXIT_FAILURE


def _key_store(args: argparse.Namespace) -> Any:
    from .config import load_settings
    from .security.keys import KeyStore

    settings = load_settings(args.config)
    return KeyStore(settings.auth.keys_db), settings


def cmd_keys(args: argparse.Namespace) -> int:
    """API keys for the HTTP API: create (the token is printed once), list, revoke, ensure-local."""
    store, settings = _key_store(args)
    if args.action == "create":
        key, token = store.create(args.name, args.scopes)
        _emit({**key.as_dict(), "token": token}, compact=False)
        sys.stderr.write("nlp-service: store the token now; it is not kept and cannot be shown again\n")
    elif args.action == "list":
        _emit([k.as_dict() for k in store.list()], compact=False)
    elif args.action == "revoke":
        _emit(store.revoke(args.key_id).as_dict(), compact=False)
    elif args.action == "ensure-local":
        token = _ensure_local_key(store, Path(settings.auth.local_key_file))
        sys.stdout.write(token + "\n")
        sys.stderr.write(f"nlp-service: admin API key for local use (kept in {settings.auth.local_key_file}); "
                         f"send it as 'Authorization: Bearer <token>'\n")
    return EXIT_OK


def _ensure_local_key(store: Any, path: Path) -> str:
    """The token in ``path`` if it is still an active key of ``store``; else a new admin key written
    there (mode 600)."""
    if path.is_file():
        token = path.read_text(encoding="ascii", errors="replace").strip()
        if store.authenticate(token) is not None:
            return token
    _key, token = store.create("local", ["admin"])
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(token + "\n")
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    return token


def cmd_audit(args: argparse.Namespace) -> int:
    """Read the audit log (one record per HTTP request), or verify its hash chain."""
    from .config import load_settings
    from .security.audit import AuditLog, body_digest, parse_time

    settings = load_settings(args.config)
    if args.digest:  # the body_hmac the audit holds for this exact request body (for disputes)
        from .phi import load_secret

        path = Path(args.digest)
        if not path.is_file():
            raise Errors.INPUT_NOT_FOUND.error(path=str(path))
        print(body_digest(load_secret(settings.phi), path.read_bytes()))
        return EXIT_OK
    audit = AuditLog(settings.auth.audit_db)
    if args.verify:
        report = audit.verify()
        _emit(report, compact=False)
        return EXIT_OK if report["ok"] else EXIT_FAILURE
    if args.limit is not None and args.limit < 1:
        raise Errors.INVALID_REQUEST.error(summary="--limit must be at least 1.")
    records = audit.query(since=parse_time(args.since) if args.since else None,
                          until=parse_time(args.until) if args.until else None, key_id=args.key, limit=args.limit)
    if args.json:
        _emit(records, compact=False)
        return EXIT_OK
    columns = ("time", "request_id", "key_id", "method", "endpoint", "status", "latency_ms", "request_bytes",
               "response_bytes", "client", "body_hmac")
    sys.stdout.write("\t".join(columns) + "\n")
    for record in records:
        sys.stdout.write("\t".join("-" if record[c] is None else str(record[c]) for c in columns) + "\n")
    return EXIT_OK


def cmd_components(args: argparse.Namespace) -> int:
    from .records.components import COMPONENTS

    _emit({"records": COMPONENTS}, compact=False)
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    from .version import __version__

    parser = argparse.ArgumentParser(
        prog="nlp-service", description="Self-hosted clinical NLP: analyse notes, serve the HTTP API."
    )
    parser.add_argument("--version", action="version", version=f"nlp-service {__version__}")
    parser.add_argument("--config", help="TOML settings file (default: $NLP_SERVICE_CONFIG)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("analyze", help="analyse one note and print the JSON result")
    p.add_argument("file", metavar="FILE|-", help="UTF-8 text file, or - for standard input")
    p.add_argument("--term", action="append", type=_parse_term, default=[], metavar="TEXT:CATEGORY",
                   help='extra term to find, e.g. "chest pain:PROBLEM" (repeatable)')
    p.add_argument("--phi", action="store_true", help="also report PHI findings (types and offsets)")
    p.add_argument("--compact", action="store_true", help="one-line JSON")
    p.set_defaults(func=cmd_analyze)

    p = sub.add_parser("deid", help="de-identify a note, standard input, or a folder of notes")
    p.add_argument("source", metavar="FILE|DIR|-", help="UTF-8 text file, folder, or - for standard input")
    p.add_argument("--operator", help="redact, mask, surrogate, hash or shift_dates (default: from settings)")
    p.add_argument("--type-operator", action="append", type=_type_operator, default=[], metavar="TYPE=OPERATOR",
                   help="operator for one PHI type, e.g. DATE=shift_dates (repeatable)")
    p.add_argument("--patient-key", help="keeps surrogates and date shifts consistent across a patient's notes")
    p.add_argument("--out", metavar="PATH",
                   help="write the de-identified text to this file (a new folder for DIR input); never the input itself")
    p.add_argument("--glob", default="*.txt", help="files to take from a folder (default: *.txt)")
    p.add_argument("--text-only", action="store_true", help="print only the de-identified text")
    p.add_argument("--return-originals", action="store_true",
                   help="include the original values in the printed findings (never in folder reports)")
    p.add_argument("--compact", action="store_true", help="one-line JSON")
    p.set_defaults(func=cmd_deid)

    p = sub.add_parser("serve", help="serve the HTTP API with gunicorn")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.add_argument("--workers", type=int, help="worker processes (default: sized to the machine)")
    p.add_argument("--threads", type=int, help="threads per worker")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("evaluate", help="score the system against gold annotations")
    p.add_argument("task", choices=["records", "phi", "linking", "triage", "qa"])
    p.add_argument("--gold", action="append", metavar="DIR",
                   help="folder of gold notes (<id>.txt + <id>.json); records: corpora/notes/gold, "
                        "phi: corpora/notes/gold and corpora/phi/gold (repeatable for phi); "
                        "linking: a mentions JSONL file (default corpora/linking/gold/mentions.jsonl)")
    p.add_argument("--errors", action="store_true", help="phi: list every missed and spurious span; linking: every miss")
    p.add_argument("--preservation", action="store_true",
                   help="phi: also count the clinical entities that survive de-identification")
    p.add_argument("--split", choices=["dev", "test", "all"], default="all")
    p.add_argument("--json", action="store_true", help="print the full report as JSON")
    p.add_argument("--kb", default="medquad", help="qa: the knowledge base (imported with --holdout)")
    p.add_argument("--configs", nargs="+", metavar="NAME", help="qa: stages to score (default: every row of the table)")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("kb", help="question-answer knowledge bases: import, build, list")
    p.add_argument("action", choices=["import", "build", "list"])
    p.add_argument("format", nargs="?", help="import: medquad (the XML distribution folder) or jsonl (KB entries); build: NAME")
    p.add_argument("path", nargs="?", help="import: the MedQuAD folder or the JSONL file (- for stdin)")
    p.add_argument("--kb", help="import: name of the knowledge base to create or replace")
    p.add_argument("--holdout", metavar="FILE", help="import: keep these questions (JSONL with source, qid) out of the question index")
    p.add_argument("--build", action="store_true", help="import: build the indexes right after")
    p.set_defaults(func=cmd_kb)

    p = sub.add_parser("ask", help="answer a consumer-health question from a knowledge base")
    p.add_argument("question", nargs="?", help="the question (or --file)")
    p.add_argument("--file", metavar="FILE|-")
    p.add_argument("--kb", help="knowledge base (default: qa.default_kb)")
    p.add_argument("-k", type=int, default=3)
    p.add_argument("--compact", action="store_true", help="one-line JSON")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("train-reranker", help="fine-tune the question-answering cross-encoder on a knowledge base")
    p.add_argument("--kb", default="medquad")
    p.add_argument("--queries", type=int, default=6000, help="training questions drawn from the KB")
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--out", default=str(Path("models") / "qa" / "reranker"))
    p.set_defaults(func=cmd_train_reranker)

    p = sub.add_parser("link", help="ICD-10-CM codes for one problem mention")
    p.add_argument("mention", help='e.g. "R hip OA" or "pnuemonia"')
    p.add_argument("-k", type=int, help="how many codes (default: linking.top_k)")
    p.add_argument("--mode", choices=["combined", "exact", "embedding"])
    p.add_argument("--history", action="store_true", help="the problem is past (adds personal-history codes)")
    p.add_argument("--family", action="store_true", help="the problem is a relative's (family-history codes)")
    p.add_argument("--compact", action="store_true", help="one-line JSON")
    p.set_defaults(func=cmd_link)

    p = sub.add_parser("index", help="build and manage record collections for similar-record search")
    p.add_argument("action", choices=["build", "add", "delete", "list", "info", "drop"])
    p.add_argument("name_pos", nargs="?", metavar="NAME", help="collection name (or --name)")
    p.add_argument("--name", help="collection name")
    p.add_argument("--input", metavar="FILE|-", help='build/add: JSONL, one {"id", "text", "metadata"} per line')
    p.add_argument("--replace", action="store_true", help="build: replace an existing collection of that name")
    p.add_argument("--ids", nargs="+", default=[], metavar="ID", help="delete: record ids")
    p.set_defaults(func=cmd_index)

    p = sub.add_parser("search", help="top-k similar records from a collection (hybrid dense + BM25)")
    p.add_argument("query", nargs="?", help="query text (or --record-id)")
    p.add_argument("--index", required=True, help="collection name")
    p.add_argument("--record-id", help="find records like this one")
    p.add_argument("-k", type=int, default=10)
    p.add_argument("--mode", choices=["hybrid", "dense", "lexical"], default="hybrid")
    p.add_argument("--filter", action="append", type=_parse_filter, default=[], metavar="KEY=VALUE",
                   help="metadata filter (repeat a key for any-of)")
    p.add_argument("--compact", action="store_true", help="one-line JSON")
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("train", help="train a text classifier on your data (--model), or the PHI tagger (deterministic)")
    p.add_argument("target", nargs="?", choices=["phi-tagger"], help="phi-tagger: the PHI tagger from corpora/")
    p.add_argument("--model", choices=["nb", "svm", "rf", "knn", "head", "transformer", "rnn", "cnn"],
                   help="text classifier to train on --data")
    p.add_argument("--data", action="append", metavar="FILE", help="labelled .csv, .tsv or .jsonl (repeatable)")
    p.add_argument("--text-col", default="text")
    p.add_argument("--label-col", default="label")
    p.add_argument("--urgent", help="a label whose recall the model card reports (e.g. emergency)")
    p.add_argument("--gold", action="append", metavar="DIR",
                   help="gold folders (default: corpora/notes/gold and corpora/phi/gold)")
    p.add_argument("--split", choices=["dev", "test", "all"], default="dev",
                   help="split to train on (default dev; the model card reports the other split)")
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--out", default=None, help="artifact directory (phi-tagger: models/phi_tagger)")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("train-triage", help="rebuild the shipped triage models from corpora/triage")
    p.add_argument("--models", nargs="+", default=["nb", "svm", "head", "cnn"], choices=["nb", "svm", "rf", "knn", "head", "transformer", "rnn", "cnn"])
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--out", default=str(Path("models") / "triage"))
    p.set_defaults(func=cmd_train_triage)

    p = sub.add_parser("triage", help="urgency and destination of a patient message")
    p.add_argument("text", nargs="?", help="the message (or --file)")
    p.add_argument("--file", metavar="FILE|-")
    p.add_argument("--model", help="nb, svm, rf, knn, transformer, rnn, cnn or cascade (default)")
    p.add_argument("--compact", action="store_true", help="one-line JSON")
    p.set_defaults(func=cmd_triage)

    p = sub.add_parser("compare", help="train and compare models on the same split: Markdown report + plots")
    p.add_argument("--data", action="append", required=True, metavar="FILE")
    p.add_argument("--models", nargs="+", default=["nb", "svm", "rf", "knn", "head", "transformer", "rnn", "cnn"])
    p.add_argument("--text-col", default="text")
    p.add_argument("--label-col", default="label")
    p.add_argument("--urgent", help="label whose recall is reported (e.g. emergency)")
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--title", default=None)
    p.add_argument("--out", required=True, metavar="DIR", help="report folder (report.md, *.png, results.json)")
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser("check", help="load the models and resources, verify them, run a smoke test")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("keys", help="API keys for the HTTP API: create, list, revoke, ensure-local")
    keys = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    k = keys.add_parser("create", help="create a key and print its token (shown once: store it)")
    k.add_argument("--name", required=True, help="who or what uses the key, e.g. 'Epic interface engine'")
    k.add_argument("--scopes", required=True, type=_parse_scopes,
                   help="comma-separated: records, deidentify, triage, qa, search, admin (admin grants all)")
    keys.add_parser("list", help="every key with its scopes and dates (never a secret)")
    k = keys.add_parser("revoke", help="revoke a key at once, in every worker")
    k.add_argument("key_id", metavar="KEYID")
    keys.add_parser("ensure-local", help="create an admin key for local use once (auth.local_key_file, mode 600) "
                                         "and print it")
    p.set_defaults(func=cmd_keys)

    p = sub.add_parser("audit", help="read the audit log of HTTP requests (never any text), or verify it")
    p.add_argument("--since", metavar="TIME", help="from this ISO 8601 time on (UTC unless it has an offset)")
    p.add_argument("--until", metavar="TIME", help="before this ISO 8601 time")
    p.add_argument("--key", metavar="KEYID", help="only this key id (or jwt:<sub>)")
    p.add_argument("--limit", type=int, default=100, help="at most N records, the most recent (default 100)")
    p.add_argument("--json", action="store_true", help="JSON instead of tab-separated columns")
    p.add_argument("--verify", action="store_true", help="check the hash chain of the whole log; exit 1 if broken")
    p.add_argument("--digest", metavar="FILE", help="print the body_hmac the log holds for a request body sent as FILE")
    p.set_defaults(func=cmd_audit)

    p = sub.add_parser("components", help="list the registered pipeline components")
    p.set_defaults(func=cmd_components)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "index":
        args.name = args.name or args.name_pos
        if args.action != "list" and not args.name:
            parser.error(f"index {args.action}: give the collection name (NAME or --name)")
        if args.action in ("build", "add") and not args.input:
            parser.error(f"index {args.action}: --input FILE is required")
        if args.action == "delete" and not args.ids:
            parser.error("index delete: --ids is required")
    try:
        return args.func(args)
    except ServiceError as exc:
        sys.stderr.write(f"nlp-service: {exc}\n")
        return EXIT_USAGE if exc.status < 500 else EXIT_FAILURE
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
