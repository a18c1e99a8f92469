/**
 * The soak benchmark's chart as a self-contained SVG: three panels over time — RSS per process,
 * p50/p99 latency per target, errors and failure-mode answers per interval — with Redis's
 * restart marked. Plain SVG text, no chart library.
 */

/** The targets of the soak: the embedded gateway and the ext_authz service. */
export const SOAK_TARGETS = ["serve", "authz"] as const;
export type Target = typeof SOAK_TARGETS[number];

export interface SoakSample {
  /** Seconds since the load started. */
  t: number;
  targets: Record<Target, {
    rssMiB: number;
    requests: number;
    p50Ms: number;
    p99Ms: number;
    statuses: Record<string, number>;
    /** Answers that are neither 200 nor a failure-mode 503 inside the Redis window. */
    errors: number;
    failureMode: number;
  }>;
  events: string[];
}

const WIDTH = 900;
const PANEL = 200;
const GAP = 50;
const LEFT = 70;
const RIGHT = 150;
const TOP = 40;
const COLORS = { serve: "#1f77b4", authz: "#d62728" } as const;

interface Series {
  label: string;
  color: string;
  dashed?: boolean;
  points: Array<[number, number]>;
}

/** The SVG text of the chart of `samples`. */
export function soakChart(samples: readonly SoakSample[], options: { title: string }): string {
  const targets = Object.keys(samples[0]?.targets ?? {}) as Array<keyof SoakSample["targets"]>;
  const tMax = Math.max(1, ...samples.map((s) => s.t));
  const series =
    (pick: (s: SoakSample, target: keyof SoakSample["targets"]) => number) =>
    (target: keyof SoakSample["targets"]) =>
      samples.map((s) => [s.t, pick(s, target)] as [number, number]);
  const panels: Array<{ title: string; unit: string; series: Series[]; bars?: boolean }> = [
    {
      title: "RSS",
      unit: "MiB",
      series: targets.map((t) => ({
        label: `${t} RSS`,
        color: COLORS[t],
        points: series((s, x) => s.targets[x].rssMiB)(t),
      })),
    },
    {
      title: "latency per interval",
      unit: "ms",
      series: targets.flatMap((t) => [
        { label: `${t} p50`, color: COLORS[t], points: series((s, x) => s.targets[x].p50Ms)(t) },
        {
          label: `${t} p99`,
          color: COLORS[t],
          dashed: true,
          points: series((s, x) => s.targets[x].p99Ms)(t),
        },
      ]),
    },
    {
      title: "errors and failure-mode answers per interval",
      unit: "answers",
      bars: true,
      series: targets.flatMap((t) => [
        {
          label: `${t} errors`,
          color: COLORS[t],
          points: series((s, x) => s.targets[x].errors)(t),
        },
        {
          label: `${t} failureMode`,
          color: COLORS[t],
          dashed: true,
          points: series((s, x) => s.targets[x].failureMode)(t),
        },
      ]),
    },
  ];
  const height = TOP + panels.length * (PANEL + GAP) + 10;
  const plotWidth = WIDTH - LEFT - RIGHT;
  const x = (t: number) => LEFT + (t / tMax) * plotWidth;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${LEFT}" y="20" font-size="14" font-weight="bold">${escape(options.title)}</text>`,
  ];
  const marks = samples.flatMap((s) =>
    s.events.filter((e) => e.startsWith("redis")).map((e) => ({ t: s.t, e }))
  );
  panels.forEach((panel, index) => {
    const top = TOP + index * (PANEL + GAP);
    const max = niceMax(Math.max(0, ...panel.series.flatMap((s) => s.points.map(([, v]) => v))));
    const y = (v: number) => top + PANEL - (v / max) * PANEL;
    out.push(
      `<text x="${LEFT}" y="${top - 6}" font-weight="bold">${
        escape(panel.title)
      } (${panel.unit})</text>`,
    );
    out.push(
      `<rect x="${LEFT}" y="${top}" width="${plotWidth}" height="${PANEL}" fill="none" stroke="#999"/>`,
    );
    for (let i = 0; i <= 4; i++) {
      const v = (max * i) / 4;
      out.push(
        `<line x1="${LEFT}" x2="${LEFT + plotWidth}" y1="${y(v)}" y2="${y(v)}" stroke="#eee"/>`,
      );
      out.push(`<text x="${LEFT - 6}" y="${y(v) + 4}" text-anchor="end">${format(v)}</text>`);
    }
    for (let i = 0; i <= 6; i++) {
      const t = (tMax * i) / 6;
      out.push(
        `<text x="${x(t)}" y="${top + PANEL + 14}" text-anchor="middle">${
          format(t / 60)
        } min</text>`,
      );
    }
    for (const mark of marks) {
      out.push(
        `<line x1="${x(mark.t)}" x2="${x(mark.t)}" y1="${top}" y2="${
          top + PANEL
        }" stroke="#888" stroke-dasharray="2,3"/>`,
      );
      if (index === 0) {
        out.push(`<text x="${x(mark.t) + 3}" y="${top + 12}" fill="#666">${mark.e}</text>`);
      }
    }
    panel.series.forEach((s, i) => {
      if (panel.bars) {
        const w = Math.max(1, plotWidth / Math.max(1, s.points.length) / panel.series.length);
        for (const [t, v] of s.points) {
          if (v <= 0) continue;
          out.push(
            `<rect x="${x(t) - w * (panel.series.length - i)}" y="${y(v)}" width="${w}" height="${
              top + PANEL - y(v)
            }" fill="${s.color}" fill-opacity="${s.dashed ? 0.4 : 0.9}"/>`,
          );
        }
      } else {
        const d = s.points.map(([t, v], j) =>
          `${j === 0 ? "M" : "L"}${x(t).toFixed(1)},${y(v).toFixed(1)}`
        ).join("");
        out.push(
          `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.5"${
            s.dashed ? ' stroke-dasharray="5,3"' : ""
          }/>`,
        );
      }
      const ly = top + 12 + i * 16;
      out.push(
        panel.bars
          ? `<rect x="${LEFT + plotWidth + 10}" y="${
            ly - 8
          }" width="20" height="8" fill="${s.color}" fill-opacity="${s.dashed ? 0.4 : 0.9}"/>`
          : `<line x1="${LEFT + plotWidth + 10}" x2="${LEFT + plotWidth + 30}" y1="${ly - 4}" y2="${
            ly - 4
          }" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5,3"' : ""}/>`,
      );
      out.push(`<text x="${LEFT + plotWidth + 34}" y="${ly}">${escape(s.label)}</text>`);
    });
  });
  out.push("</svg>");
  return out.join("\n") + "\n";
}

function niceMax(value: number): number {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (value <= step * power) return step * power;
  return 10 * power;
}

function format(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(value < 10 ? 1 : 0);
}

function escape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
