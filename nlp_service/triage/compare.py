"""Train and evaluate several models on the same split; write one Markdown report with plots.

The report has accuracy, macro-F1, recall of the most urgent class (``urgent``), expected calibration
error, training time, p50 latency per text (one text at a time, in process) and throughput (texts/s
in one batch), plus PNG plots: confusion matrices, macro-F1 against latency, and reliability diagrams.
With ``red_flags`` it also reports urgency with the red-flag rules applied (they can only raise a
prediction to the urgent label).
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np

from .data import load_dataset, split_indices
from .training import expected_calibration_error, fit, metrics, versions


def _latency(model: Any, texts: list[str], n: int = 200) -> tuple[float, float]:
    sample = texts[:n]
    model.predict_proba(sample[:5])
    times = []
    for text in sample:
        t = time.perf_counter()
        model.predict_proba([text])
        times.append((time.perf_counter() - t) * 1000)
    t = time.perf_counter()
    model.predict_proba(texts)
    throughput = len(texts) / (time.perf_counter() - t)
    return statistics.median(times), throughput


def compare(data: str | Path | list, models: list[str], out: str | Path, text_col: str = "text",
            label_col: str = "label", seed: int = 13, urgent: str | None = None, title: str | None = None,
            red_flags: bool | None = None) -> dict[str, Any]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    dataset = load_dataset(data, text_col, label_col)
    split = split_indices(dataset, seed)
    test_texts = [dataset.texts[i] for i in split["test"]]
    test_labels = [dataset.labels[i] for i in split["test"]]
    use_flags = red_flags if red_flags is not None else (urgent == "emergency")
    flagged = None
    if use_flags:
        from .redflags import red_flags as find_flags

        flagged = np.array([bool(find_flags(t)) for t in test_texts])
    rows, probas, trained = [], {}, {}
    for name in models:
        model, _split, seconds = fit(dataset, name, seed)
        m = metrics(model, test_texts, test_labels, urgent)
        p50, throughput = _latency(model, test_texts)
        row = {"model": name, "description": model.description, "train_s": round(seconds, 2), "p50_ms": round(p50, 3),
               "texts_per_s": round(throughput, 1), **{k: v for k, v in m.items() if k not in ("confusion", "per_class_f1")},
               "confusion": m["confusion"], "per_class_f1": m["per_class_f1"]}
        if flagged is not None and urgent in model.classes:
            predicted = np.array(model.predict(test_texts))
            predicted[flagged] = urgent
            truth = np.array(test_labels)
            row[f"recall_{urgent}_with_red_flags"] = round(float((predicted[truth == urgent] == urgent).mean()), 4)
            from sklearn.metrics import f1_score

            row["macro_f1_with_red_flags"] = round(float(f1_score(truth, predicted, average="macro")), 4)
        rows.append(row)
        probas[name] = model.predict_proba(test_texts)
        trained[name] = model
    classes = trained[models[0]].classes
    truth = np.array([classes.index(label) for label in test_labels])
    # -- plots ------------------------------------------------------------------------------------------
    cols = min(4, len(models))
    fig, axes = plt.subplots((len(models) + cols - 1) // cols, cols, figsize=(4.2 * cols, 4 * ((len(models) + cols - 1) // cols)),
                             squeeze=False)
    for ax, row in zip(axes.ravel(), rows, strict=False):
        cm = np.array(row["confusion"])
        ax.imshow(cm / cm.sum(axis=1, keepdims=True).clip(1), cmap="Blues", vmin=0, vmax=1)
        ax.set_title(f"{row['model']} (macro-F1 {row['macro_f1']:.2f})", fontsize=9)
        ax.set_xticks(range(len(classes)), classes, rotation=60, fontsize=6)
        ax.set_yticks(range(len(classes)), classes, fontsize=6)
        for (i, j), v in np.ndenumerate(cm):
            if len(classes) <= 16:
                ax.text(j, i, str(v), ha="center", va="center", fontsize=5)
    for ax in axes.ravel()[len(rows):]:
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(out / "confusion.png", dpi=120)
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(6, 4))
    for row in rows:
        ax.scatter(row["p50_ms"], row["macro_f1"])
        ax.annotate(row["model"], (row["p50_ms"], row["macro_f1"]), fontsize=8)
    ax.set_xscale("log")
    ax.set_xlabel("p50 latency per text (ms, log scale)")
    ax.set_ylabel("macro-F1 (test)")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out / "f1_vs_latency.png", dpi=120)
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(6, 5))
    ax.plot([0, 1], [0, 1], "k--", lw=0.8)
    edges = np.linspace(0, 1, 11)
    for name, proba in probas.items():
        conf, correct = proba.max(axis=1), proba.argmax(axis=1) == truth
        xs, ys = [], []
        for lo, hi in zip(edges[:-1], edges[1:], strict=True):
            inside = (conf > lo) & (conf <= hi)
            if inside.sum() >= 3:
                xs.append(conf[inside].mean())
                ys.append(correct[inside].mean())
        ax.plot(xs, ys, marker="o", label=f"{name} (ECE {expected_calibration_error(proba, truth):.3f})")
    ax.set_xlabel("confidence")
    ax.set_ylabel("accuracy")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out / "calibration.png", dpi=120)
    plt.close(fig)
    # -- report -----------------------------------------------------------------------------------------
    urgent_cols = [k for k in rows[0] if k.startswith("recall_")]
    extra = [k for k in rows[0] if k == "macro_f1_with_red_flags"]
    header = ["model", "accuracy", "macro-F1", *[k.replace("_", " ") for k in urgent_cols], *["macro-F1 with red flags"] * len(extra),
              "ECE", "train s", "p50 ms/text", "texts/s"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        cells = [row["model"], f"{row['accuracy']:.3f}", f"{row['macro_f1']:.3f}", *[f"{row[k]:.3f}" for k in urgent_cols],
                 *[f"{row[k]:.3f}" for k in extra], f"{row['ece']:.3f}", f"{row['train_s']:.1f}", f"{row['p50_ms']:.3f}",
                 f"{row['texts_per_s']:,.0f}"]
        lines.append("| " + " | ".join(cells) + " |")
    best = max(rows, key=lambda r: r["macro_f1"])
    report_md = f"""# {title or 'Model comparison'}

Data: `{dataset.source}` (SHA-256 `{dataset.sha256[:16]}...`), text `{text_col}`, label `{label_col}`,
{len(classes)} classes. Split (seed {seed}): train {len(split['train'])}, dev {len(split['dev'])} (calibration),
test {len(split['test'])}. Every model is trained and evaluated on the same split, in one process.

{chr(10).join(lines)}

Best macro-F1: **{best['model']}** ({best['macro_f1']:.3f}). Latency is one text at a time, in process;
throughput is the whole test set in one call.

Descriptions: {"; ".join(f"`{r['model']}` {r['description']}" for r in rows)}.

![confusion matrices](confusion.png)

![macro-F1 against latency](f1_vs_latency.png)

![calibration](calibration.png)

Versions: `{json.dumps(versions())}`
"""
    (out / "report.md").write_text(report_md, encoding="utf-8")
    result = {"data": dataset.source, "data_sha256": dataset.sha256, "classes": classes, "models": rows}
    (out / "results.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result
