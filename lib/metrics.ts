/**
 * The one Prometheus registry of apigw (operator, `apigw authz`, `apigw serve`): counters, gauges
 * (set, or read at scrape time) and histograms with labels, rendered in the text exposition
 * format. A series bound once (`bind`) is updated without building its label key again, for
 * the per-request paths; binding also shows the series before its first update.
 * https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format
 */

type Labels = Readonly<Record<string, string>>;

interface Family {
  name: string;
  help: string;
  type: "counter" | "gauge" | "histogram";
  render(): string[];
}

export interface Counter {
  inc(labels?: Labels, value?: number): void;
  /** The series of `labels`, shown from now on (0 until incremented). */
  bind(labels?: Labels): { inc(value?: number): void };
}

export interface Gauge {
  set(labels: Labels, value: number): void;
}

export interface Histogram {
  observe(labels: Labels, value: number): void;
  /** The series of `labels`, shown from now on (empty until observed). */
  bind(labels?: Labels): { observe(value: number): void };
}

/** Default buckets for reconcile and request durations, in seconds. */
export const DURATION_BUCKETS = [
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
  30,
  60,
];

export class MetricsRegistry {
  readonly #families: Family[] = [];

  counter(name: string, help: string): Counter {
    const values = new Map<string, { labels: Labels; value: number }>();
    this.#families.push({
      name,
      help,
      type: "counter",
      render: () => [...values.values()].map((v) => sample(name, v.labels, v.value)),
    });
    const series = (labels: Labels) => {
      const key = labelKey(labels);
      let entry = values.get(key);
      if (entry === undefined) values.set(key, entry = { labels, value: 0 });
      return entry;
    };
    return {
      inc(labels = {}, value = 1) {
        series(labels).value += value;
      },
      bind(labels = {}) {
        const entry = series(labels);
        return {
          inc(value = 1) {
            entry.value += value;
          },
        };
      },
    };
  }

  gauge(name: string, help: string): Gauge {
    const values = new Map<string, { labels: Labels; value: number }>();
    this.#families.push({
      name,
      help,
      type: "gauge",
      render: () => [...values.values()].map((v) => sample(name, v.labels, v.value)),
    });
    return {
      set(labels, value) {
        values.set(labelKey(labels), { labels, value });
      },
    };
  }

  /** A gauge whose samples are read when scraped. */
  gaugeFunction(
    name: string,
    help: string,
    collect: () => Array<{ labels: Labels; value: number }>,
  ): void {
    this.#families.push({
      name,
      help,
      type: "gauge",
      render: () => collect().map((v) => sample(name, v.labels, v.value)),
    });
  }

  /** A counter whose samples are read when scraped (totals kept elsewhere). */
  counterFunction(
    name: string,
    help: string,
    collect: () => Array<{ labels: Labels; value: number }>,
  ): void {
    this.#families.push({
      name,
      help,
      type: "counter",
      render: () => collect().map((v) => sample(name, v.labels, v.value)),
    });
  }

  histogram(name: string, help: string, buckets: readonly number[] = DURATION_BUCKETS): Histogram {
    const values = new Map<
      string,
      { labels: Labels; counts: number[]; sum: number; count: number }
    >();
    this.#families.push({
      name,
      help,
      type: "histogram",
      render: () =>
        [...values.values()].flatMap((v) => [
          ...buckets.map((le, i) =>
            sample(`${name}_bucket`, { ...v.labels, le: String(le) }, v.counts[i] ?? 0)
          ),
          sample(`${name}_bucket`, { ...v.labels, le: "+Inf" }, v.count),
          sample(`${name}_sum`, v.labels, v.sum),
          sample(`${name}_count`, v.labels, v.count),
        ]),
    });
    const series = (labels: Labels) => {
      const key = labelKey(labels);
      let entry = values.get(key);
      if (entry === undefined) {
        entry = { labels, counts: buckets.map(() => 0), sum: 0, count: 0 };
        values.set(key, entry);
      }
      return entry;
    };
    const record = (entry: { counts: number[]; sum: number; count: number }, value: number) => {
      for (let i = 0; i < buckets.length; i++) if (value <= buckets[i]!) entry.counts[i]!++;
      entry.sum += value;
      entry.count++;
    };
    return {
      observe(labels, value) {
        record(series(labels), value);
      },
      bind(labels = {}) {
        const entry = series(labels);
        return { observe: (value) => record(entry, value) };
      },
    };
  }

  /** Every family in the text format. */
  render(): string {
    return this.#families.map((f) =>
      [`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`, ...f.render()].join("\n")
    ).join("\n") + "\n";
  }
}

function labelKey(labels: Labels): string {
  return Object.keys(labels).sort().map((k) => `${k}=${labels[k]}`).join(",");
}

function sample(name: string, labels: Labels, value: number): string {
  const entries = Object.entries(labels);
  const text = entries.length === 0
    ? ""
    : `{${entries.map(([k, v]) => `${k}="${escape(v)}"`).join(",")}}`;
  return `${name}${text} ${Number.isFinite(value) ? value : value > 0 ? "+Inf" : "-Inf"}`;
}

function escape(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}
