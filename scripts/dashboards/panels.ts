import { DashboardCursorSync } from '@grafana/schema';

import {
  DATASOURCE,
  type Dashboard,
  type Override,
  type Panel,
  type QueryPanel,
  type Target,
  type Threshold,
  type ValueMapping,
  type Variable,
} from './model';

// Panel builders. A builder returns a cell: the panel without its id and position, and its size;
// layout() numbers and places them.

export interface Query {
  expr: string;
  legend?: string;
  /** Ask Prometheus for exemplars too, so a point on the graph links to an example trace. */
  exemplar?: boolean;
}

export interface Cell {
  w: number;
  h: number;
  panel: Omit<QueryPanel, 'id' | 'gridPos'>;
}

export interface Section {
  title: string;
  cells: Cell[];
}

export function targets(queries: readonly Query[], mode: 'range' | 'instant' | 'table'): Target[] {
  return queries.map((query, index) => ({
    refId: String.fromCharCode(65 + index),
    datasource: DATASOURCE,
    expr: query.expr,
    legendFormat: query.legend ?? '__auto',
    range: mode === 'range',
    instant: mode !== 'range',
    ...(mode === 'table' ? { format: 'table' as const } : {}),
    ...(query.exemplar === true ? { exemplar: true } : {}),
  }));
}

export function thresholds(base: string, ...steps: [color: string, from: number][]): Threshold[] {
  return [{ color: base, value: null }, ...steps.map(([color, value]) => ({ color, value }))];
}

/** Value 0 shows as `zero` in green, 1 as `one` in red. */
export function flagMapping(zero: string, one: string): ValueMapping[] {
  return [
    {
      type: 'value',
      options: { '0': { text: zero, color: 'green', index: 0 }, '1': { text: one, color: 'red', index: 1 } },
    },
  ];
}

/** Draws the series whose display name matches `pattern` thick and in `color`, to stand out. */
export function highlight(pattern: string, color: string): Override {
  return {
    matcher: { id: 'byRegexp', options: pattern },
    properties: [
      { id: 'color', value: { mode: 'fixed', fixedColor: color } },
      { id: 'custom.lineWidth', value: 3 },
    ],
  };
}

export interface Common {
  title: string;
  description: string;
  w?: number;
  h?: number;
}

export function timeseries(
  spec: Common & { unit: string; queries: Query[]; overrides?: Override[]; bars?: boolean; stack?: boolean },
): Cell {
  return {
    w: spec.w ?? 12,
    h: spec.h ?? 8,
    panel: {
      type: 'timeseries',
      title: spec.title,
      description: spec.description,
      datasource: DATASOURCE,
      targets: targets(spec.queries, 'range'),
      fieldConfig: {
        defaults: {
          unit: spec.unit,
          min: 0,
          color: { mode: 'palette-classic' },
          custom: {
            drawStyle: spec.bars === true ? 'bars' : 'line',
            lineWidth: 1,
            fillOpacity: spec.bars === true ? 80 : 10,
            showPoints: 'never',
            spanNulls: false,
            stacking: { mode: spec.stack === true ? 'normal' : 'none', group: 'A' },
          },
        },
        overrides: spec.overrides ?? [],
      },
      options: {
        legend: {
          showLegend: true,
          displayMode: 'table',
          placement: 'bottom',
          calcs: ['max', 'lastNotNull'],
        },
        tooltip: { mode: 'multi', sort: 'desc' },
      },
    },
  };
}

export interface SingleValue extends Common {
  unit: string;
  query: Query;
  thresholds: Threshold[];
  mappings?: ValueMapping[];
  /** What an empty result means, shown instead of Grafana's "No data". */
  noValue?: string;
  decimals?: number;
}

export function singleValueDefaults(spec: SingleValue): Record<string, unknown> {
  return {
    unit: spec.unit,
    color: { mode: 'thresholds' },
    thresholds: { mode: 'absolute', steps: spec.thresholds },
    mappings: spec.mappings ?? [],
    ...(spec.noValue === undefined ? {} : { noValue: spec.noValue }),
    ...(spec.decimals === undefined ? {} : { decimals: spec.decimals }),
  };
}

export const LAST_VALUE = { calcs: ['lastNotNull'], fields: '', values: false };

/** A panel of one value per series (stat, gauge, bar gauge) from an instant query. */
export function singleValue(
  type: 'stat' | 'gauge' | 'bargauge',
  spec: SingleValue,
  size: { w: number; h: number },
  defaults: Record<string, unknown>,
  options: Record<string, unknown>,
): Cell {
  return {
    w: spec.w ?? size.w,
    h: spec.h ?? size.h,
    panel: {
      type,
      title: spec.title,
      description: spec.description,
      datasource: DATASOURCE,
      targets: targets([spec.query], 'instant'),
      fieldConfig: { defaults: { ...singleValueDefaults(spec), ...defaults }, overrides: [] },
      options: { reduceOptions: LAST_VALUE, ...options },
    },
  };
}

/** One big number (one per series), coloured by its thresholds. */
export function stat(spec: SingleValue): Cell {
  return singleValue(
    'stat',
    spec,
    { w: 6, h: 4 },
    {},
    {
      colorMode: 'background',
      graphMode: 'none',
      textMode: 'auto',
      justifyMode: 'auto',
      orientation: 'auto',
    },
  );
}

export function gauge(spec: SingleValue & { max: number }): Cell {
  return singleValue(
    'gauge',
    spec,
    { w: 6, h: 6 },
    { min: 0, max: spec.max },
    { showThresholdLabels: false, showThresholdMarkers: true },
  );
}

/** Horizontal bars, one per series: a ranking at the end of the time range. */
export function barGauge(spec: SingleValue): Cell {
  return singleValue(
    'bargauge',
    spec,
    { w: 12, h: 8 },
    { min: 0 },
    { displayMode: 'gradient', orientation: 'horizontal', showUnfilled: true, valueMode: 'color' },
  );
}

/** The series' labels as columns and its value as `valueColumn`, from an instant query. */
export function table(spec: Common & { unit: string; query: Query; valueColumn: string }): Cell {
  return {
    w: spec.w ?? 24,
    h: spec.h ?? 8,
    panel: {
      type: 'table',
      title: spec.title,
      description: spec.description,
      datasource: DATASOURCE,
      targets: targets([spec.query], 'table'),
      fieldConfig: { defaults: { unit: spec.unit }, overrides: [] },
      options: { showHeader: true, cellHeight: 'sm', footer: { show: false } },
      transformations: [
        {
          id: 'organize',
          options: { excludeByName: { Time: true }, renameByName: { Value: spec.valueColumn } },
        },
      ],
    },
  };
}

/** Numbers the panels 1.. in order and places them: a row header per section, cells left to right. */
export function layout(sections: readonly Section[]): Panel[] {
  const panels: Panel[] = [];
  let y = 0;
  for (const section of sections) {
    panels.push({
      id: panels.length + 1,
      type: 'row',
      title: section.title,
      collapsed: false,
      gridPos: { h: 1, w: 24, x: 0, y },
      panels: [],
    });
    y += 1;
    let x = 0;
    let height = 0;
    for (const cell of section.cells) {
      if (x + cell.w > 24) {
        y += height;
        x = 0;
        height = 0;
      }
      panels.push({ id: panels.length + 1, gridPos: { h: cell.h, w: cell.w, x, y }, ...cell.panel });
      x += cell.w;
      height = Math.max(height, cell.h);
    }
    y += height;
  }
  return panels;
}

export const DATASOURCE_VARIABLE: Variable = {
  name: 'datasource',
  label: 'Data source',
  type: 'datasource',
  query: 'prometheus',
  current: {},
  hide: 0,
  includeAll: false,
  multi: false,
  options: [],
  refresh: 1,
  regex: '',
  skipUrlSync: false,
};

/** A multi-value variable over `label`'s values, defaulting to all of them. */
export function labelVariable(label: 'job' | 'instance', title: string, selector: string): Variable {
  const query = `label_values(${selector}, ${label})`;
  return {
    name: label,
    label: title,
    type: 'query',
    datasource: DATASOURCE,
    definition: query,
    query: { query, refId: 'PrometheusVariableQueryEditor-VariableQuery' },
    current: { selected: true, text: ['All'], value: ['$__all'] },
    hide: 0,
    includeAll: true,
    allValue: '.*',
    multi: true,
    options: [],
    refresh: 2,
    regex: '',
    sort: 1,
    skipUrlSync: false,
  };
}

/** The instances of one service: every Node process exports its resident memory. */
export function instanceVariable(job: string): Variable {
  return labelVariable('instance', 'Instance', `process_resident_memory_bytes{job="${job}"}`);
}

export function dashboard(spec: {
  uid: string;
  title: string;
  description: string;
  tags: string[];
  variables?: Variable[];
  sections: Section[];
}): Dashboard {
  return {
    uid: spec.uid,
    title: spec.title,
    description: spec.description,
    tags: ['tracking', ...spec.tags],
    schemaVersion: 39,
    version: 1,
    editable: true,
    graphTooltip: DashboardCursorSync.Crosshair,
    timezone: 'browser',
    time: { from: 'now-6h', to: 'now' },
    refresh: '30s',
    links: [
      {
        type: 'dashboards',
        title: 'Tracking dashboards',
        tags: ['tracking'],
        asDropdown: true,
        includeVars: false,
        keepTime: true,
      },
    ],
    templating: { list: [DATASOURCE_VARIABLE, ...(spec.variables ?? [])] },
    panels: layout(spec.sections),
  };
}
