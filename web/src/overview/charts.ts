/** ECharts options for the coverage charts: the rate per enforcement type, and the events of each
 * type split by coverage status. Names come translated; colours say the same as the tags elsewhere. */
import type { Schemas } from "@/api/client";

type TypeCounts = Schemas["TypeCounts"];

export const STATUSES = ["covered", "partial", "missing", "pending"] as const;
export const STATUS_COLOURS: Record<(typeof STATUSES)[number], string> = {
  covered: "#00b42a", partial: "#ff7d00", missing: "#f53f3f", pending: "#a9aeb8",
};

const GRID = { left: 8, right: 16, top: 32, bottom: 8, containLabel: true };

export function rateOption(types: TypeCounts[], typeName: (code: string) => string, rateLabel: string) {
  return {
    animation: false,
    grid: GRID,
    tooltip: { trigger: "axis", valueFormatter: (v: unknown) => (v === null || v === undefined || v === "-" ? "—" : `${v}%`) },
    xAxis: { type: "category", data: types.map((t) => typeName(t.event_type)), axisLabel: { interval: 0, rotate: 30 } },
    yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
    series: [{
      name: rateLabel, type: "bar", barMaxWidth: 36,
      data: types.map((t) => (t.activation_rate === null || t.activation_rate === undefined ? "-" : +(t.activation_rate * 100).toFixed(1))),
      itemStyle: { color: "#165dff" },
      label: { show: true, position: "top", formatter: "{c}%" },
    }],
  };
}

export function countsOption(types: TypeCounts[], typeName: (code: string) => string,
  statusName: (status: string) => string) {
  return {
    animation: false,
    grid: { ...GRID, top: 40 },
    legend: { top: 0 },
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
    xAxis: { type: "category", data: types.map((t) => typeName(t.event_type)), axisLabel: { interval: 0, rotate: 30 } },
    yAxis: { type: "value", minInterval: 1 },
    series: STATUSES.map((s) => ({
      name: statusName(s), type: "bar", stack: "events", barMaxWidth: 36,
      itemStyle: { color: STATUS_COLOURS[s] }, data: types.map((t) => t[s]),
    })),
  };
}
