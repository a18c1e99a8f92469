/** The operator's metrics use the one Prometheus registry of the repository (`lib/metrics.ts`). */
export * from "../lib/metrics.ts";
